#define G_LOG_DOMAIN "ave-http"

#include "config.h"

#include <math.h>
#include <string.h>
#include <libsoup/soup.h>

#include "ave-http.h"

struct _AveHttp
{
  AveHttpOptions options;
  SoupSession   *session;
  /* libsoup ties each connection to the context it was made in: one
   * context for the client's life lets later requests reuse them (and
   * keeps the per-host connection limit from waiting on dead ones). */
  GMainContext  *context;
  GMutex         lock;        /* one request at a time */
};

void
ave_http_options_init (AveHttpOptions *options)
{
  options->timeout_s = 30;
  options->max_retries = 3;
  options->backoff_base_s = 1.0;
  options->max_retry_after_s = 120;
  options->max_response_bytes = 16 * 1024 * 1024;
}

AveHttp *
ave_http_new (const AveHttpOptions *options)
{
  AveHttp *self = g_new0 (AveHttp, 1);

  if (options != NULL)
    self->options = *options;
  else
    ave_http_options_init (&self->options);
  self->context = g_main_context_new ();
  g_mutex_init (&self->lock);
  /* `timeout` bounds connecting and every read or write that makes no
   * progress; a stalled server is a timeout, then a retry. */
  self->session = soup_session_new_with_options ("timeout", (guint) MAX (1, ceil (self->options.timeout_s)),
                                                 "idle-timeout", 60,
                                                 "user-agent", PACKAGE_NAME "/" PACKAGE_VERSION " ",
                                                 NULL);
  return self;
}

void
ave_http_free (AveHttp *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->session);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
ave_http_response_free (AveHttpResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

char *
ave_http_display_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL)
    return g_strdup ("(an invalid URL)");
  return g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), g_uri_get_path (uri), NULL, NULL);
}

char *
ave_http_redact (const char *text, const char *key)
{
  g_autoptr(GString) out = g_string_new (text);

  if (key != NULL && *key != '\0')
    g_string_replace (out, key, "[redacted]", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

double
ave_http_parse_retry_after (const char *value)
{
  char *end = NULL;
  double seconds;

  if (value == NULL)
    return -1;
  seconds = g_ascii_strtod (value, &end);
  while (end != NULL && g_ascii_isspace (*end))
    end++;
  if (end != value && *end == '\0' && isfinite (seconds))
    return MAX (0.0, seconds);
  {
    g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (value);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

    if (when == NULL)
      return -1;
    return MAX (0.0, g_date_time_difference (when, now) / 1e6);
  }
}

/* ------------------------------------------------------------ one attempt */

typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} Waiter;

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter->result = g_object_ref (result);
  g_main_context_wakeup (waiter->context);
}

static void
wait_for (Waiter *waiter)
{
  while (waiter->result == NULL)
    g_main_context_iteration (waiter->context, TRUE);
}

static gboolean
on_wait_over (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_wait_cancelled (GCancellable *cancellable, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Sleeps `seconds` in `context`, waking at once on a cancel. */
static gboolean
sleep_cancellable (GMainContext *context, double seconds, GCancellable *cancellable, GError **error)
{
  gboolean over = FALSE;
  g_autoptr(GSource) timer = g_timeout_source_new ((guint) (seconds * 1000));
  g_autoptr(GSource) cancel = cancellable != NULL ? g_cancellable_source_new (cancellable) : NULL;

  g_source_set_callback (timer, on_wait_over, &over, NULL);
  g_source_attach (timer, context);
  if (cancel != NULL)
    {
      g_source_set_callback (cancel, G_SOURCE_FUNC (on_wait_cancelled), &over, NULL);
      g_source_attach (cancel, context);
    }
  while (!over)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  if (cancel != NULL)
    g_source_destroy (cancel);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* Reads the whole answer, refusing more than the cap. */
static GBytes *
read_body (AveHttp *self, GMainContext *context, GInputStream *stream, goffset announced,
           GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  gsize cap = self->options.max_response_bytes;

  if (announced > 0 && (guint64) announced > cap)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "the answer is %" G_GINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT " accepted",
                   (gint64) announced, cap);
      return NULL;
    }
  for (;;)
    {
      Waiter waiter = { context, NULL };
      g_autoptr(GBytes) chunk = NULL;

      g_input_stream_read_bytes_async (stream, 65536, G_PRIORITY_DEFAULT, cancellable, on_done, &waiter);
      wait_for (&waiter);
      chunk = g_input_stream_read_bytes_finish (stream, waiter.result, error);
      g_object_unref (waiter.result);
      if (chunk == NULL)
        return NULL;
      if (g_bytes_get_size (chunk) == 0)
        break;
      if (data->len + g_bytes_get_size (chunk) > cap)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "the answer is longer than the %" G_GSIZE_FORMAT " bytes accepted", cap);
          return NULL;
        }
      g_byte_array_append (data, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* Whether a failed attempt is worth another: timeouts and connections
 * that broke, not a refused name or a bad certificate. */
static gboolean
error_is_transient (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    switch (error->code)
      {
      case G_IO_ERROR_TIMED_OUT:
      case G_IO_ERROR_CONNECTION_CLOSED:
      case G_IO_ERROR_PARTIAL_INPUT:
      case G_IO_ERROR_CONNECTION_REFUSED:
      case G_IO_ERROR_NETWORK_UNREACHABLE:
      case G_IO_ERROR_HOST_UNREACHABLE:
        return TRUE;
      default:
        return FALSE;
      }
  /* libsoup's own: a connection that closed before or inside the answer. */
  return error->domain == SOUP_SESSION_ERROR;
}

static gboolean
status_is_transient (guint status)
{
  return status == 429 || status == 408 || (status >= 500 && status <= 599);
}

AveHttpResponse *
ave_http_send (AveHttp               *self,
               const AveHttpRequest  *request,
               AveHttpRetryFunc       on_retry,
               gpointer               user_data,
               GCancellable          *cancellable,
               GError               **error)
{
  GMainContext *context = self->context;
  g_autofree char *shown = ave_http_display_url (request->url);
  g_autofree char *auth = NULL;
  gint64 start = g_get_monotonic_time ();
  AveHttpResponse *response = NULL;
  GError *last = NULL;
  guint status = 0;

  g_return_val_if_fail (self != NULL && request != NULL && request->url != NULL, NULL);

  if (request->key_header != NULL && request->key != NULL)
    auth = g_ascii_strcasecmp (request->key_header, "Authorization") == 0
           ? g_strconcat ("Bearer ", request->key, NULL) : g_strdup (request->key);

  g_mutex_lock (&self->lock);
  g_main_context_push_thread_default (context);
  for (guint attempt = 0; attempt <= self->options.max_retries; attempt++)
    {
      g_autoptr(SoupMessage) message = soup_message_new (request->method, request->url);
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) local = NULL;
      g_autofree char *why = NULL;
      Waiter waiter = { context, NULL };
      double wait_s;

      if (message == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "%s is not an http:// or https:// URL; check --llm-url", shown);
          goto out;
        }
      if (auth != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (message), request->key_header, auth);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", "application/json");
      if (request->body != NULL)
        soup_message_set_request_body_from_bytes (message, request->content_type, request->body);

      soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, cancellable, on_done, &waiter);
      wait_for (&waiter);
      stream = soup_session_send_finish (self->session, waiter.result, &local);
      g_clear_object (&waiter.result);
      if (stream != NULL)
        {
          status = soup_message_get_status (message);
          body = read_body (self, context, stream,
                            soup_message_headers_get_content_length (soup_message_get_response_headers (message)),
                            cancellable, &local);
        }

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: the request was cancelled", shown);
          goto out;
        }
      if (local != NULL && !error_is_transient (local))
        {
          g_autofree char *text = ave_http_redact (local->message, request->key);
          g_set_error (error, local->domain, local->code, "%s: %s", shown, text);
          goto out;
        }
      if (local == NULL && !status_is_transient (status))
        {
          response = g_new0 (AveHttpResponse, 1);
          response->status = status;
          response->body = g_steal_pointer (&body);
          response->attempts = attempt + 1;
          response->latency_s = (g_get_monotonic_time () - start) / 1e6;
          goto out;
        }

      /* A transient failure: wait and try again, if tries are left. */
      wait_s = self->options.backoff_base_s * pow (2.0, attempt) * g_random_double_range (0.5, 1.5);
      if (local != NULL)
        why = ave_http_redact (local->message, request->key);
      else
        {
          double after = ave_http_parse_retry_after (
            soup_message_headers_get_one (soup_message_get_response_headers (message), "Retry-After"));

          why = g_strdup_printf ("HTTP %u %s", status, soup_status_get_phrase (status));
          if (after >= 0)
            {
              if (after > self->options.max_retry_after_s)
                {
                  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                               "%s: %s, and the server asks to wait %.0f s before trying again", shown, why, after);
                  goto out;
                }
              /* The server knows when it will take us again. */
              wait_s = after;
            }
        }
      g_clear_error (&last);
      last = local != NULL
             ? g_error_new (local->domain, local->code, "%s: %s (%u tries)", shown, why, attempt + 1)
             : g_error_new (G_IO_ERROR, G_IO_ERROR_BUSY, "%s: %s (%u tries)", shown, why, attempt + 1);
      if (attempt == self->options.max_retries)
        break;
      if (on_retry != NULL)
        on_retry (attempt + 1, wait_s, why, user_data);
      if (!sleep_cancellable (context, wait_s, cancellable, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: the request was cancelled", shown);
          goto out;
        }
    }
  g_propagate_error (error, g_steal_pointer (&last));

out:
  g_clear_error (&last);
  /* Let libsoup finish what it queued (connection bookkeeping). */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_mutex_unlock (&self->lock);
  return response;
}
