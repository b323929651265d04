#include "config.h"

#include <cairo.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ave-test-server.h"

typedef struct
{
  AveTestReplyKind kind;
  guint status;
  char *retry_after;
  char *body;
} Reply;

struct _AveTestServer
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  GMutex        lock;
  GCond         ready;
  GQueue        replies;
  Reply         fallback;
  GPtrArray    *requests;
  GPtrArray    *stalled;
  AveTestResponder responder;
  gpointer      responder_data;
};

static void
reply_free (gpointer data)
{
  Reply *r = data;
  g_free (r->retry_after);
  g_free (r->body);
  g_free (r);
}

void
ave_test_request_free (AveTestRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_free (request->headers);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  AveTestServer *self = user_data;
  AveTestRequest *request = g_new0 (AveTestRequest, 1);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  GString *headers = g_string_new (NULL);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) flat = soup_message_body_flatten (body);
  Reply *reply;
  Reply copy;

  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (message));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (headers, "%s: %s\n", name, value);
  request->method = g_strdup (soup_server_message_get_method (message));
  request->path = g_strdup (path);
  request->query = g_strdup (g_uri_get_query (soup_server_message_get_uri (message)));
  request->headers = g_string_free (headers, FALSE);
  request->body = g_bytes_ref (flat);
  request->when_us = g_get_monotonic_time ();

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->requests, request);
  reply = g_queue_pop_head (&self->replies);
  copy = reply != NULL ? *reply : self->fallback;
  copy.retry_after = g_strdup (copy.retry_after);
  if (reply == NULL && self->responder != NULL)
    {
      copy.kind = AVE_TEST_REPLY_NORMAL;
      copy.retry_after = NULL;
      copy.body = self->responder (request, &copy.status, self->responder_data);
    }
  else
    copy.body = g_strdup (copy.body);
  if (reply != NULL)
    reply_free (reply);
  g_mutex_unlock (&self->lock);

  switch (copy.kind)
    {
    case AVE_TEST_REPLY_STALL:
      soup_server_message_pause (message);
      g_ptr_array_add (self->stalled, g_object_ref (message));
      break;
    case AVE_TEST_REPLY_DROP:
      {
        GIOStream *stream = soup_server_message_steal_connection (message);
        g_io_stream_close (stream, NULL, NULL);
        g_object_unref (stream);
      }
      break;
    case AVE_TEST_REPLY_NORMAL:
    default:
      if (copy.retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                      "Retry-After", copy.retry_after);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY,
                                        copy.body != NULL ? copy.body : "", copy.body != NULL ? strlen (copy.body) : 0);
      soup_server_message_set_status (message, copy.status, NULL);
      break;
    }
  g_free (copy.retry_after);
  g_free (copy.body);
}

static gpointer
server_thread (gpointer user_data)
{
  AveTestServer *self = user_data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (self->context);
  self->server = soup_server_new ("server-header", "ave-test-server", NULL);
  soup_server_add_handler (self->server, NULL, on_request, self, NULL);
  if (!soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("test server: %s", error->message);
  uris = soup_server_get_uris (self->server);
  g_mutex_lock (&self->lock);
  self->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_cond_signal (&self->ready);
  g_mutex_unlock (&self->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (self->loop);

  g_ptr_array_set_size (self->stalled, 0);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

AveTestServer *
ave_test_server_new (void)
{
  AveTestServer *self = g_new0 (AveTestServer, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->ready);
  g_queue_init (&self->replies);
  self->fallback.kind = AVE_TEST_REPLY_NORMAL;
  self->fallback.status = 404;
  self->fallback.body = g_strdup ("{\"error\":{\"message\":\"no scripted reply\"}}");
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_test_request_free);
  self->stalled = g_ptr_array_new_with_free_func (g_object_unref);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_lock (&self->lock);
  self->thread = g_thread_new ("ave-test-server", server_thread, self);
  while (self->url == NULL)
    g_cond_wait (&self->ready, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
ave_test_server_free (AveTestServer *self)
{
  if (self == NULL)
    return;
  g_main_context_invoke (self->context, quit_loop, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_queue_clear_full (&self->replies, reply_free);
  g_free (self->fallback.body);
  g_ptr_array_unref (self->requests);
  g_ptr_array_unref (self->stalled);
  g_free (self->url);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->ready);
  g_free (self);
}

const char *
ave_test_server_get_url (AveTestServer *self)
{
  return self->url;
}

void
ave_test_server_push (AveTestServer *self, AveTestReplyKind kind, guint status,
                      const char *retry_after, const char *body)
{
  Reply *r = g_new0 (Reply, 1);

  r->kind = kind;
  r->status = status;
  r->retry_after = g_strdup (retry_after);
  r->body = g_strdup (body);
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->replies, r);
  g_mutex_unlock (&self->lock);
}

void
ave_test_server_set_default (AveTestServer *self, guint status, const char *body)
{
  g_mutex_lock (&self->lock);
  self->fallback.status = status;
  g_free (self->fallback.body);
  self->fallback.body = g_strdup (body);
  g_mutex_unlock (&self->lock);
}

void
ave_test_server_set_responder (AveTestServer *self, AveTestResponder func, gpointer user_data)
{
  g_mutex_lock (&self->lock);
  self->responder = func;
  self->responder_data = user_data;
  g_mutex_unlock (&self->lock);
}

guint
ave_test_server_get_n_requests (AveTestServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->requests->len;
  g_mutex_unlock (&self->lock);
  return n;
}

AveTestRequest *
ave_test_server_get_request (AveTestServer *self, guint index)
{
  AveTestRequest *copy = NULL;

  g_mutex_lock (&self->lock);
  if (index < self->requests->len)
    {
      AveTestRequest *r = g_ptr_array_index (self->requests, index);

      copy = g_new0 (AveTestRequest, 1);
      copy->method = g_strdup (r->method);
      copy->path = g_strdup (r->path);
      copy->query = g_strdup (r->query);
      copy->headers = g_strdup (r->headers);
      copy->body = g_bytes_ref (r->body);
      copy->when_us = r->when_us;
    }
  g_mutex_unlock (&self->lock);
  return copy;
}

char *
ave_test_server_dump (AveTestServer *self)
{
  GString *out = g_string_new (NULL);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      AveTestRequest *r = g_ptr_array_index (self->requests, i);

      g_string_append_printf (out, "%s %s?%s\n%s\n", r->method, r->path, r->query ? r->query : "", r->headers);
      g_string_append_len (out, g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body));
      g_string_append_c (out, '\n');
    }
  g_mutex_unlock (&self->lock);
  return g_string_free (out, FALSE);
}

void
ave_test_server_reset (AveTestServer *self)
{
  g_mutex_lock (&self->lock);
  g_queue_clear_full (&self->replies, reply_free);
  g_ptr_array_set_size (self->requests, 0);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ images */

const guint32 AVE_TEST_IMAGE_COLOURS[8] = {
  0xd02030, 0x2040d0, 0x20b040, 0xe0c020, 0x9030c0, 0x20c0c0, 0xe07020, 0x808080,
};

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

char *
ave_test_image_answer (guint n, int width, int height, const guint32 *colours)
{
  GString *out = g_string_new ("{\"created\": 1733000000, \"data\": [");

  for (guint i = 0; i < n; i++)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
      cairo_t *cr = cairo_create (surface);
      g_autoptr(GByteArray) png = g_byte_array_new ();
      g_autofree char *b64 = NULL;
      guint32 c = colours[i];

      cairo_set_source_rgb (cr, ((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0);
      cairo_paint (cr);
      cairo_destroy (cr);
      g_assert_cmpint (cairo_surface_write_to_png_stream (surface, append_png, png), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_destroy (surface);
      b64 = g_base64_encode (png->data, png->len);
      g_string_append_printf (out, "%s{\"b64_json\": \"%s\", \"revised_prompt\": \"a picture\"}",
                              i > 0 ? ", " : "", b64);
    }
  g_string_append (out, "]}");
  return g_string_free (out, FALSE);
}

char *
ave_test_images_responder (const AveTestRequest *request, guint *status, gpointer user_data)
{
  guint *made = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize length;
  const char *body = g_bytes_get_data (request->body, &length);
  JsonObject *o;
  guint32 colours[16];
  gint64 n;

  if (!g_str_has_suffix (request->path, "/images/generations") || body == NULL
      || !json_parser_load_from_data (parser, body, length, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      *status = 400;
      return g_strdup ("{\"error\": {\"message\": \"not an image request\"}}");
    }
  o = json_node_get_object (json_parser_get_root (parser));
  n = json_object_get_int_member_with_default (o, "n", 0);
  if (n < 1 || n > 16)
    {
      *status = 400;
      return g_strdup ("{\"error\": {\"message\": \"n must be 1 to 16\"}}");
    }
  for (gint64 i = 0; i < n; i++)
    colours[i] = AVE_TEST_IMAGE_COLOURS[(*made)++ % 8];   /* under the server's lock */
  *status = 200;
  return ave_test_image_answer ((guint) n, 64, 48, colours);
}
