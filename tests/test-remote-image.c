/* Thumbnail art over real HTTP (a SoupServer on 127.0.0.1 speaking the
 * OpenAI-compatible image API with real PNGs): the thumbnails show the
 * generated background, each picture is charged at its price exactly,
 * a budget refuses the call and the frames stand in, and the guide's
 * imagen keys (batch_generation, template_reuse, cache_similar) change
 * what is asked for and what is cached. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "ave-test-server.h"
#include "assets/ave-assets.h"
#include "media/ave-media.h"
#include "pipeline/ave-job.h"
#include "providers/ave-remote.h"
#include "providers/ave-remote-image.h"

#define KEY "sk-image-test-5be7c30d"
#define PRICE 0.04

static AveSettings *
image_settings (AveTestServer *server)
{
  AveSettings *s = ave_settings_new ();
  const char *prices[] = { "test-image:per_image=0.04", NULL };

  g_free (s->thumbnail_art);
  s->thumbnail_art = g_strdup ("remote");
  s->image_url = g_strconcat (ave_test_server_get_url (server), "/v1", NULL);
  s->image_model = g_strdup ("test-image");
  s->api_prices = g_strdupv ((char **) prices);
  s->api_timeout = 5;
  s->api_max_retries = 1;
  s->thumbnail_count = 3;
  return s;
}

typedef struct
{
  GPtrArray *warnings;
  GPtrArray *notices;
} Messages;

static void
on_remote (AveRemoteEventKind kind, const char *message, const AveCostRecord *record, gpointer user_data)
{
  Messages *m = user_data;

  if (kind == AVE_REMOTE_WARNING)
    g_ptr_array_add (m->warnings, g_strdup (message));
  else if (kind == AVE_REMOTE_NOTICE)
    g_ptr_array_add (m->notices, g_strdup (message));
}

/* One generation with its own AveRemote; the pictures, or NULL and the error. */
static GPtrArray *
generate (const AveSettings *s, AveCostLedger *ledger, const char *title, Messages *m,
          JsonNode **costs, GError **error)
{
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  GPtrArray *images;

  if (m != NULL)
    ave_remote_set_event_func (remote, on_remote, m);
  images = ave_remote_image_generate (remote, s, title, s->thumbnail_count, NULL, error);
  if (costs != NULL)
    *costs = ave_remote_costs_to_json (remote);
  return images;
}

static void
assert_colour (const guint8 *rgb, guint32 colour, int tolerance)
{
  int want[3] = { (colour >> 16) & 0xff, (colour >> 8) & 0xff, colour & 0xff };

  for (int c = 0; c < 3; c++)
    if (ABS ((int) rgb[c] - want[c]) > tolerance)
      g_error ("pixel (%u, %u, %u) is not #%06x", rgb[0], rgb[1], rgb[2], colour);
}

static JsonObject *
request_json (AveTestServer *server, guint index, JsonParser *parser)
{
  g_autoptr(AveTestRequest) request = ave_test_server_get_request (server, index);
  gsize length;
  const char *body = g_bytes_get_data (request->body, &length);

  g_assert_cmpstr (request->method, ==, "POST");
  g_assert_cmpstr (request->path, ==, "/v1/images/generations");
  g_assert_nonnull (strstr (request->headers, "Authorization: Bearer " KEY));
  g_assert_true (json_parser_load_from_data (parser, body, length, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_normalise (void)
{
  g_autofree char *a = ave_remote_image_normalise_title ("The Speed of Light!");
  g_autofree char *b = ave_remote_image_normalise_title ("light, SPEED of  the ");
  g_autofree char *c = ave_remote_image_normalise_title ("What's new: speed");

  g_assert_cmpstr (a, ==, "light of speed the");
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (c, ==, "new speed whats");
}

/* Without batch_generation: one request a picture, each charged once. */
static void
test_one_request_each (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = image_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  guint made = 0;
  JsonArray *calls;

  ave_test_server_set_responder (server, ave_test_images_responder, &made);
  images = generate (s, ledger, "Why \"Speed\" Matters\n", NULL, &costs, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (images->len, ==, 3);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *body = request_json (server, i, parser);
      AveRgbaImage *image = g_ptr_array_index (images, i);

      g_assert_cmpint (json_object_get_int_member (body, "n"), ==, 1);
      g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "test-image");
      g_assert_cmpstr (json_object_get_string_member (body, "size"), ==, AVE_REMOTE_IMAGE_SIZE);
      g_assert_cmpstr (json_object_get_string_member (body, "response_format"), ==, "b64_json");
      /* The title, on one line, its quotes kept from ending the prompt's. */
      g_assert_nonnull (strstr (json_object_get_string_member (body, "prompt"), "titled \"Why 'Speed' Matters\""));
      g_assert_cmpuint (json_object_get_size (body), ==, 5);
      g_assert_cmpint (image->width, ==, 64);
      g_assert_cmpint (image->height, ==, 48);
      assert_colour (image->rgba + 10 * image->stride + 10 * 4, AVE_TEST_IMAGE_COLOURS[i], 0);
    }
  calls = json_object_get_array_member (json_node_get_object (costs), "calls");
  g_assert_cmpuint (json_array_get_length (calls), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *call = json_array_get_object_element (calls, i);

      g_assert_cmpstr (json_object_get_string_member (call, "kind"), ==, "image");
      g_assert_cmpint (json_object_get_int_member (call, "images"), ==, 1);
      g_assert_cmpfloat (json_object_get_double_member (call, "usd"), ==, PRICE);
      g_assert_cmpstr (json_object_get_string_member (call, "status"), ==, "ok");
    }
  g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==,
                     PRICE + PRICE + PRICE);
}

/* batch_generation: one request with n = 3; template_reuse: one picture. */
static void
test_batch_and_template (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = image_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  guint made = 0;
  JsonObject *call;

  ave_test_server_set_responder (server, ave_test_images_responder, &made);
  s->image_batch_generation = TRUE;
  images = generate (s, ledger, "Speed", NULL, &costs, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_assert_cmpint (json_object_get_int_member (request_json (server, 0, parser), "n"), ==, 3);
  }
  g_assert_cmpuint (images->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      AveRgbaImage *image = g_ptr_array_index (images, i);
      assert_colour (image->rgba, AVE_TEST_IMAGE_COLOURS[i], 0);
    }
  call = json_array_get_object_element (json_object_get_array_member (json_node_get_object (costs), "calls"), 0);
  g_assert_cmpint (json_object_get_int_member (call, "images"), ==, 3);
  g_assert_cmpfloat (json_object_get_double_member (call, "usd"), ==, 3 * PRICE);

  /* template_reuse: one picture for every variant, whatever the batching. */
  ave_test_server_reset (server);
  g_clear_pointer (&images, g_ptr_array_unref);
  g_clear_pointer (&costs, json_node_unref);
  s->image_template_reuse = TRUE;
  images = generate (s, ledger, "Speed", NULL, &costs, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_assert_cmpint (json_object_get_int_member (request_json (server, 0, parser), "n"), ==, 1);
  }
  g_assert_cmpuint (images->len, ==, 1);
  call = json_array_get_object_element (json_object_get_array_member (json_node_get_object (costs), "calls"), 0);
  g_assert_cmpfloat (json_object_get_double_member (call, "usd"), ==, PRICE);
}

/* dall-e-3 makes one picture a request: batch_generation is said to
 * become three requests, and gpt-image models get no response_format. */
static void
test_model_rules (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = image_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  Messages m = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };
  guint made = 0;

  ave_test_server_set_responder (server, ave_test_images_responder, &made);
  s->image_batch_generation = TRUE;
  g_free (s->image_model);
  s->image_model = g_strdup ("dall-e-3");
  images = generate (s, ledger, "Speed", &m, &costs, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 3);
  g_assert_cmpuint (m.notices->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (m.notices, 0), "dall-e-3 makes one picture a request"));
  /* priced from data/prices.json */
  g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==,
                     0.04 + 0.04 + 0.04);

  ave_test_server_reset (server);
  g_free (s->image_model);
  s->image_model = g_strdup ("gpt-image-1");
  g_clear_pointer (&images, g_ptr_array_unref);
  g_clear_pointer (&costs, json_node_unref);
  images = generate (s, ledger, "Speed", NULL, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *body = request_json (server, 0, parser);

    g_assert_false (json_object_has_member (body, "response_format"));
    g_assert_cmpint (json_object_get_int_member (body, "n"), ==, 3);
  }
  g_ptr_array_unref (m.warnings);
  g_ptr_array_unref (m.notices);
}

/* --cache-responses: a second run sends nothing and costs nothing; with
 * cache_similar a title differing in case, punctuation and word order
 * hits the same picture, without it it is asked for. */
static void
test_cache (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = image_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autofree char *cache_dir = g_build_filename (ave_test_tmpdir (), "image-cache", NULL);
  g_autofree char *listing = NULL;
  g_autoptr(GError) error = NULL;
  guint made = 0;

  ave_test_server_set_responder (server, ave_test_images_responder, &made);
  s->cache_responses = TRUE;
  s->cache_dir = g_strdup (cache_dir);
  {
    g_autoptr(GPtrArray) first = generate (s, ledger, "The Speed of Light!", NULL, NULL, &error);
    g_autoptr(GPtrArray) second = NULL;
    g_autoptr(JsonNode) costs = NULL;
    JsonArray *calls;

    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 3);
    second = generate (s, ledger, "The Speed of Light!", NULL, &costs, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 3);
    g_assert_cmpuint (second->len, ==, 3);
    /* each request's own picture, not the first one three times */
    for (guint i = 0; i < 3; i++)
      assert_colour (((AveRgbaImage *) g_ptr_array_index (second, i))->rgba, AVE_TEST_IMAGE_COLOURS[i], 0);
    calls = json_object_get_array_member (json_node_get_object (costs), "calls");
    g_assert_cmpuint (json_array_get_length (calls), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (calls, 0), "status"), ==, "cached");
    g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==, 0);
  }

  /* A similar title, without cache_similar: asked for. */
  s->image_batch_generation = TRUE;
  {
    g_autoptr(GPtrArray) images = generate (s, ledger, "The speed of light", NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 4);
  }
  s->image_cache_similar = TRUE;
  {
    g_autoptr(GPtrArray) first = generate (s, ledger, "The Speed of Light!", NULL, NULL, &error);
    g_autoptr(GPtrArray) similar = NULL;
    g_autoptr(JsonNode) costs = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 5);
    similar = generate (s, ledger, "light, SPEED of the", NULL, &costs, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 5);
    g_assert_cmpuint (similar->len, ==, 3);
    for (guint i = 0; i < 3; i++)
      g_assert_cmpmem (((AveRgbaImage *) g_ptr_array_index (similar, i))->rgba, 4,
                       ((AveRgbaImage *) g_ptr_array_index (first, i))->rgba, 4);
    /* A different title is not similar. */
    g_clear_pointer (&costs, json_node_unref);
    {
      g_autoptr(GPtrArray) other = generate (s, ledger, "The Speed of Sound", NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 6);
    }
  }
  listing = ave_test_sh_output ("grep -rl '%s' '%s' || true", KEY, cache_dir);
  g_assert_cmpstr (g_strstrip (listing), ==, "");
}

/* The budget bounds the call before it is sent (3 pictures at $0.04 do
 * not fit in $0.10); --cost-aware skips it as optional earlier (past
 * 80 % of $0.14) where the plain budget lets it through. */
static void
test_budget (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = image_settings (server);
  g_autoptr(GError) error = NULL;
  guint made = 0;

  ave_test_server_set_responder (server, ave_test_images_responder, &made);
  s->image_batch_generation = TRUE;
  s->budget_limit_usd = 0.10;
  {
    g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (s->budget_limit_usd);
    g_autoptr(JsonNode) costs = NULL;
    g_autoptr(GPtrArray) images = generate (s, ledger, "Speed", NULL, &costs, &error);
    JsonObject *call;

    g_assert_null (images);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 0);
    call = json_array_get_object_element (json_object_get_array_member (json_node_get_object (costs), "calls"), 0);
    g_assert_cmpstr (json_object_get_string_member (call, "status"), ==, "refused-budget");
    g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==, 0);
    g_clear_error (&error);
  }
  s->budget_limit_usd = 0.14;
  {
    g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (s->budget_limit_usd);
    g_autoptr(GPtrArray) images = generate (s, ledger, "Speed", NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  }
  s->cost_aware = TRUE;
  {
    g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (s->budget_limit_usd);
    g_autoptr(GPtrArray) images = generate (s, ledger, "Speed", NULL, NULL, &error);

    g_assert_null (images);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    g_assert_nonnull (strstr (error->message, "--cost-aware"));
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  }
  /* A model without a price is not called under a budget. */
  g_clear_error (&error);
  s->cost_aware = FALSE;
  g_free (s->image_model);
  s->image_model = g_strdup ("unpriced-image");
  {
    g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (s->budget_limit_usd);
    g_autoptr(GPtrArray) images = generate (s, ledger, "Speed", NULL, NULL, &error);

    g_assert_null (images);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  }
}

/* Faults: a retried 500, an answer that is no PNG, a key echoed back. */
static void
test_faults (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = image_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(GError) error = NULL;
  guint32 red = 0xff0000;
  g_autofree char *one = ave_test_image_answer (1, 8, 8, &red);
  g_autofree char *not_png = NULL;

  s->thumbnail_count = 1;
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 500, "0", "{\"error\":{\"message\":\"busy\"}}");
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, one);
  {
    g_autoptr(GPtrArray) images = generate (s, ledger, "Speed", NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (images->len, ==, 1);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 2);
  }

  {
    g_autofree char *b64 = g_base64_encode ((const guchar *) "GIF89a not a png at all", 23);
    not_png = g_strdup_printf ("{\"data\":[{\"b64_json\":\"%s\"}]}", b64);
  }
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, not_png);
  {
    g_autoptr(GPtrArray) images = generate (s, ledger, "Speed", NULL, NULL, &error);
    g_assert_null (images);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "not a PNG"));
    g_clear_error (&error);
  }
  /* A PNG header claiming a picture too large to decode is refused unread. */
  {
    guint8 huge[33] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                        0, 1, 0, 0, 0, 1, 0, 0, 8, 6, 0, 0, 0 };
    g_autofree char *b64 = g_base64_encode (huge, sizeof huge);
    g_autofree char *answer = g_strdup_printf ("{\"data\":[{\"b64_json\":\"%s\"}]}", b64);

    ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
    g_assert_null (generate (s, ledger, "Speed", NULL, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "65536x65536"));
    g_clear_error (&error);
  }
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 401, NULL,
                        "{\"error\":{\"message\":\"Incorrect API key provided: " KEY "\"}}");
  g_assert_null (generate (s, ledger, "Speed", NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, KEY));
  g_assert_nonnull (strstr (error->message, "AVE_IMAGE_API_KEY"));
}

typedef struct
{
  GMutex   lock;
  GString *text;
} EventLog;

static void
on_job_event (const AveEvent *event, gpointer user_data)
{
  EventLog *log = user_data;

  g_mutex_lock (&log->lock);
  if (event->message != NULL)
    g_string_append_printf (log->text, "%d %s\n", event->kind, event->message);
  if (event->kind == AVE_EVENT_COST)
    g_string_append_printf (log->text, "cost %s %s %.6f %s\n", event->cost->kind, event->cost->model,
                            event->cost->usd, ave_call_status_to_string (event->cost->status));
  g_mutex_unlock (&log->lock);
}

/* A talk with a transcript and one thumbnail candidate (the frames'
 * fallback has something to show). */
static AveAnalysis *
make_talk (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) media = ave_media_probe (path, &error);
  AveAnalysis *a;
  AveInterval speech = { 1.0, 5.5 };
  AveShot shot = { 0 };
  AveThumbnailCandidate candidate = { 3.0, 0.9, 0.8, 0.5 };
  const char *words[] = { "speed", "matters", "because", "speed", "saves", "time" };

  g_assert_no_error (error);
  a = ave_analysis_new (path, media);
  g_array_append_val (a->speech, speech);
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    ave_analysis_add_word (a, words[i], 1.0 + 0.7 * i, 1.5 + 0.7 * i, 0.9, FALSE);
  shot.end = media->duration;
  shot.quality = 0.8;
  g_array_append_val (a->shots, shot);
  g_array_append_val (a->thumbnail_candidates, candidate);
  ave_analysis_sort (a);
  return a;
}

static GBytes *
read_rgb (const char *jpeg, int *width, int *height)
{
  g_autofree char *size = ave_test_sh_output ("ffprobe -v error -show_entries stream=width,height -of csv=p=0 '%s'", jpeg);
  g_autofree char *raw = g_strconcat (jpeg, ".rgb", NULL);
  char *data = NULL;
  gsize length = 0;

  g_assert_cmpint (sscanf (size, "%d,%d", width, height), ==, 2);
  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -f rawvideo -pix_fmt rgb24 '%s'", jpeg, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  g_assert_cmpuint (length, ==, (gsize) *width * *height * 3);
  g_unlink (raw);
  return g_bytes_new_take (data, length);
}

/* A whole `process` job: the thumbnails have the pictures behind their
 * texts, costs.json has each picture at its price, the key is nowhere;
 * then with a budget too small the frames stand in and the job succeeds. */
static void
test_job (void)
{
  const char *sample = ave_test_ffmpeg_media ("image-talk.mp4",
    "-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=300 -t 8 "
    "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac");
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = image_settings (server);
  g_autofree char *out = ave_test_path ("image-job-out");
  g_autofree char *grep = NULL;
  g_autoptr(GError) error = NULL;
  EventLog log = { .text = g_string_new (NULL) };
  guint made = 0;
  GBytes *bottoms[3] = { NULL };

  g_mutex_init (&log.lock);
  ave_test_server_set_responder (server, ave_test_images_responder, &made);
  s->mode = AVE_MODE_FAST;
  s->subtitles = AVE_SUBTITLES_NONE;
  s->thumbnail_width = 320;
  s->track_costs = TRUE;
  s->image_template_reuse = TRUE;
  {
    g_autoptr(AveAnalysis) analysis = make_talk (sample);
    g_autoptr(AveJob) job = ave_job_new (AVE_JOB_PROCESS, sample, out, s);
    g_autofree char *costs_text = NULL;
    g_autofree char *costs_path = g_build_filename (out, "image-talk", "costs.json", NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *costs, *call;

    ave_job_set_analysis (job, analysis);
    ave_job_set_event_func (job, on_job_event, &log, NULL);
    g_assert_true (ave_job_run (job, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);

    /* template_reuse: one picture behind three texts. */
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *name = g_strdup_printf ("thumb-%02u.jpg", i + 1);
        g_autofree char *path = g_build_filename (out, "image-talk", "thumbnails", name, NULL);
        g_autoptr(GBytes) rgb = NULL;
        const guint8 *pixels;
        int w, h;

        rgb = read_rgb (path, &w, &h);
        pixels = g_bytes_get_data (rgb, NULL);
        g_assert_cmpint (w, ==, 320);
        g_assert_cmpint (h, ==, 240);
        /* the picture, well away from the text band, in its own colour
         * (8-bit YUV 4:2:0 and the JPEG's quantisation: a few levels) */
        g_test_message ("%s at (20, 20): %02x%02x%02x", name, pixels[(20 * w + 20) * 3],
                        pixels[(20 * w + 20) * 3 + 1], pixels[(20 * w + 20) * 3 + 2]);
        assert_colour (pixels + ((gsize) 20 * w + 20) * 3, AVE_TEST_IMAGE_COLOURS[0], 6);
        assert_colour (pixels + ((gsize) (h / 2) * w + w - 20) * 3, AVE_TEST_IMAGE_COLOURS[0], 6);
        /* the band across the bottom: darker, with white text in it */
        {
          gsize band = (gsize) (h - h / 10) * w * 3;
          guint bright = 0;

          for (gsize p = (gsize) (h * 78 / 100) * w * 3; p < (gsize) (h * 98 / 100) * w * 3; p += 3)
            bright += pixels[p] > 200 && pixels[p + 1] > 200 && pixels[p + 2] > 200;
          g_assert_cmpuint (pixels[band + 3 * 2], <, 0xd0 * 0.6);
          g_assert_cmpuint (bright, >, 50);
        }
        bottoms[i] = g_bytes_new_from_bytes (rgb, (gsize) (h - h / 4) * w * 3, (gsize) (h / 4) * w * 3);
      }
    /* each variant has a text of its own */
    g_assert_false (g_bytes_equal (bottoms[0], bottoms[1]));
    g_assert_false (g_bytes_equal (bottoms[1], bottoms[2]));
    for (guint i = 0; i < 3; i++)
      g_bytes_unref (bottoms[i]);

    g_assert_true (g_file_get_contents (costs_path, &costs_text, NULL, NULL));
    g_assert_true (json_parser_load_from_data (parser, costs_text, -1, NULL));
    costs = json_node_get_object (json_parser_get_root (parser));
    call = json_array_get_object_element (json_object_get_array_member (costs, "calls"), 0);
    g_assert_cmpstr (json_object_get_string_member (call, "kind"), ==, "image");
    g_assert_cmpstr (json_object_get_string_member (call, "model"), ==, "test-image");
    g_assert_cmpint (json_object_get_int_member (call, "images"), ==, 1);
    g_assert_cmpfloat (json_object_get_double_member (costs, "total_usd"), ==, PRICE);
    g_assert_nonnull (strstr (log.text->str, "cost image test-image 0.040000 ok"));

    /* The prompt holds the title and nothing else of the talk. */
    {
      g_autoptr(JsonParser) body_parser = json_parser_new ();
      JsonObject *body = request_json (server, 0, body_parser);
      const char *prompt = json_object_get_string_member (body, "prompt");

      g_assert_null (strstr (prompt, "saves"));
      g_assert_null (strstr (prompt, "because"));
    }
  }

  /* A budget the picture does not fit in: refused before it is sent,
   * the frame thumbnail instead, and the job still succeeds. */
  ave_test_server_reset (server);
  s->budget_limit_usd = 0.01;
  {
    g_autoptr(AveAnalysis) analysis = make_talk (sample);
    g_autofree char *out2 = ave_test_path ("image-job-budget");
    g_autoptr(AveJob) job = ave_job_new (AVE_JOB_PROCESS, sample, out2, s);
    g_autofree char *thumb = g_build_filename (out2, "image-talk", "thumbnails", "thumb-01.jpg", NULL);
    g_autoptr(GBytes) rgb = NULL;
    int w, h;

    ave_job_set_analysis (job, analysis);
    ave_job_set_event_func (job, on_job_event, &log, NULL);
    g_assert_true (ave_job_run (job, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 0);
    g_assert_nonnull (strstr (log.text->str, "cost image test-image 0.000000 refused-budget"));
    g_assert_nonnull (strstr (log.text->str, "the thumbnails are frames of the video"));
    rgb = read_rgb (thumb, &w, &h);
    g_assert_cmpint (w, ==, 320);
    grep = ave_test_sh_output ("grep -rl '%s' '%s' '%s' || true", KEY, out, out2);
  }
  g_assert_cmpstr (g_strstrip (grep), ==, "");
  g_assert_null (strstr (log.text->str, KEY));
  g_string_free (log.text, TRUE);
  g_mutex_clear (&log.lock);
}

/* The flags on the command line, and `settings` saying where each came from. */
static void
test_cli (void)
{
  const char *sample = ave_test_sample ("image-cli.mp4", 6, 320, 180);
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autofree char *out = ave_test_path ("image-cli-out");
  g_autofree char *config = ave_test_path ("image-cli.yaml");
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autofree char *grep = NULL;
  guint made = 0;
  int status;

  ave_test_server_set_responder (server, ave_test_images_responder, &made);
  g_assert_true (g_file_set_contents (config, "api_optimization:\n  imagen:\n    batch_generation: true\n", -1, NULL));
  status = ave_test_sh_status (&stdout_text, &stderr_text,
                               "'%s' process '%s' -o '%s' --config '%s' --thumbnail-art remote --image-url %s/v1 "
                               "--image-model test-image --api-price test-image:per_image=0.04 --budget-limit 1 "
                               "--mode fast --subtitles none --json",
                               ave_test_binary (), sample, out, config, ave_test_server_get_url (server));
  if (status != 0)
    g_error ("process failed (%d): %s", status, stderr_text);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  g_assert_nonnull (strstr (stdout_text, "\"kind\":\"image\""));
  g_assert_null (strstr (stdout_text, KEY));
  g_assert_null (strstr (stderr_text, KEY));
  grep = ave_test_sh_output ("grep -rl '%s' '%s' || true", KEY, out);
  g_assert_cmpstr (g_strstrip (grep), ==, "");

  g_clear_pointer (&stdout_text, g_free);
  g_clear_pointer (&stderr_text, g_free);
  status = ave_test_sh_status (&stdout_text, &stderr_text, "'%s' settings --config '%s' --thumbnail-art remote",
                               ave_test_binary (), config);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (stdout_text, "image_batch_generation"));
  g_assert_nonnull (strstr (stdout_text, "image-cli.yaml:3"));
  g_assert_nonnull (strstr (stdout_text, "thumbnail_art"));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  /* Before any thread starts. */
  g_setenv ("AVE_IMAGE_API_KEY", KEY, TRUE);

  g_test_add_func ("/engine/image/normalise", test_normalise);
  g_test_add_func ("/engine/image/one-request-each", test_one_request_each);
  g_test_add_func ("/engine/image/batch-and-template", test_batch_and_template);
  g_test_add_func ("/engine/image/model-rules", test_model_rules);
  g_test_add_func ("/engine/image/cache", test_cache);
  g_test_add_func ("/engine/image/budget", test_budget);
  g_test_add_func ("/engine/image/faults", test_faults);
  g_test_add_func ("/engine/image/job", test_job);
  g_test_add_func ("/engine/image/cli", test_cli);
  return g_test_run ();
}
