/* The engine's HTTP client against a real SoupServer on 127.0.0.1:
 * retries honouring Retry-After, timeouts, the size cap, dropped
 * connections, cancel, and the key kept to its header. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "ave-test-util.h"
#include "ave-test-server.h"
#include "providers/ave-http.h"

#define KEY "sk-test-0123456789abcdef"

static AveHttp *
new_client (double timeout_s, guint retries, gsize cap)
{
  AveHttpOptions options;

  ave_http_options_init (&options);
  options.timeout_s = timeout_s;
  options.max_retries = retries;
  options.backoff_base_s = 0.05;
  if (cap > 0)
    options.max_response_bytes = cap;
  return ave_http_new (&options);
}

static AveHttpResponse *
post (AveHttp *http, AveTestServer *server, GCancellable *cancellable, GError **error)
{
  g_autofree char *url = g_strconcat (ave_test_server_get_url (server), "/v1/chat/completions", NULL);
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"model\":\"m\"}", 13);
  AveHttpRequest request = { "POST", url, "Authorization", KEY, "application/json", body };

  return ave_http_send (http, &request, NULL, NULL, cancellable, error);
}

static void
test_ok_and_key_in_header_only (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveHttp) http = new_client (5, 3, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveHttpResponse) response = NULL;
  g_autoptr(AveTestRequest) request = NULL;

  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, "{\"ok\":true}");
  response = post (http, server, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (response->attempts, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body), "{\"ok\":true}", 11);

  request = ave_test_server_get_request (server, 0);
  g_assert_cmpstr (request->path, ==, "/v1/chat/completions");
  g_assert_nonnull (strstr (request->headers, "Authorization: Bearer " KEY));
  g_assert_null (request->query);
  g_assert_null (g_strstr_len (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body), KEY));
}

/* Many requests one after the other on one client: connections are reused
 * (libsoup keeps at most two per host; a client that lost track of them
 * would wait for a third forever). */
static void
test_sequential_requests (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveHttp) http = new_client (2, 0, 0);

  ave_test_server_set_default (server, 200, "{}");
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AveHttpResponse) response = post (http, server, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (response->status, ==, 200);
    }
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 6);
}

static void
test_retry_after (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveHttp) http = new_client (5, 3, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveHttpResponse) response = NULL;
  g_autoptr(AveTestRequest) first = NULL;
  g_autoptr(AveTestRequest) second = NULL;
  double gap;

  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 429, "1", "{\"error\":\"slow down\"}");
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, "{}");
  response = post (http, server, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (response->attempts, ==, 2);
  first = ave_test_server_get_request (server, 0);
  second = ave_test_server_get_request (server, 1);
  /* The backoff alone would wait 0.025-0.075 s: the server's second counts. */
  gap = (second->when_us - first->when_us) / 1e6;
  g_assert_cmpfloat (gap, >=, 0.95);
  g_assert_cmpfloat (gap, <, 2.5);
}

static void
test_server_errors_give_up (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveHttp) http = new_client (5, 3, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveHttpResponse) response = NULL;

  ave_test_server_set_default (server, 500, "{\"error\":\"down\"}");
  response = post (http, server, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "HTTP 500"));
  g_assert_nonnull (strstr (error->message, "4 tries"));
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 4);

  /* A 4xx other than 429 is an answer, not a failure to retry. */
  g_clear_error (&error);
  ave_test_server_reset (server);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 401, NULL, "{\"error\":\"bad key\"}");
  response = post (http, server, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 401);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
}

static void
test_stall_times_out (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveHttp) http = new_client (1, 0, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveHttpResponse) response = NULL;
  gint64 start = g_get_monotonic_time ();

  ave_test_server_push (server, AVE_TEST_REPLY_STALL, 0, NULL, NULL);
  response = post (http, server, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpfloat ((g_get_monotonic_time () - start) / 1e6, <, 4.0);

  /* With a retry left, the second try succeeds. */
  g_clear_error (&error);
  g_clear_pointer (&http, ave_http_free);
  http = new_client (1, 1, 0);
  ave_test_server_push (server, AVE_TEST_REPLY_STALL, 0, NULL, NULL);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, "{}");
  response = post (http, server, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->attempts, ==, 2);
}

static void
test_oversized_and_dropped (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveHttp) http = new_client (5, 2, 1000);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveHttpResponse) response = NULL;
  g_autofree char *big = g_strnfill (5000, 'x');

  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, big);
  response = post (http, server, NULL, &error);
  g_assert_null (response);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);

  g_clear_error (&error);
  ave_test_server_push (server, AVE_TEST_REPLY_DROP, 0, NULL, NULL);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, "{}");
  response = post (http, server, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (response->attempts, ==, 2);
}

static gboolean
cancel_later (gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread (gpointer cancellable)
{
  g_usleep (300000);
  cancel_later (cancellable);
  return NULL;
}

static void
test_cancel_in_flight (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveHttp) http = new_client (30, 3, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AveHttpResponse) response = NULL;
  gint64 start = g_get_monotonic_time ();
  GThread *thread;

  ave_test_server_push (server, AVE_TEST_REPLY_STALL, 0, NULL, NULL);
  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  response = post (http, server, cancellable, &error);
  g_thread_join (thread);
  g_assert_null (response);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* 0.3 s until the cancel, then well under a second. */
  g_assert_cmpfloat ((g_get_monotonic_time () - start) / 1e6, <, 1.3);

  /* A cancel during a Retry-After wait ends the wait too. */
  g_clear_error (&error);
  g_cancellable_reset (cancellable);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 503, "20", "{}");
  start = g_get_monotonic_time ();
  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  response = post (http, server, cancellable, &error);
  g_thread_join (thread);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat ((g_get_monotonic_time () - start) / 1e6, <, 1.3);
}

static void
test_redaction (void)
{
  g_autofree char *shown = ave_http_display_url ("https://user:pw@example.org:8443/v1beta/models/x:generateContent?key=" KEY);
  g_autofree char *text = ave_http_redact ("Incorrect API key provided: " KEY ".", KEY);

  g_assert_cmpstr (shown, ==, "https://example.org:8443/v1beta/models/x:generateContent");
  g_assert_cmpstr (text, ==, "Incorrect API key provided: [redacted].");
  g_assert_cmpfloat (ave_http_parse_retry_after ("7"), ==, 7.0);
  g_assert_cmpfloat (ave_http_parse_retry_after ("soon"), ==, -1.0);
  g_assert_cmpfloat (ave_http_parse_retry_after ("Wed, 21 Oct 2015 07:28:00 GMT"), ==, 0.0);
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/http/ok-key-in-header-only", test_ok_and_key_in_header_only);
  g_test_add_func ("/engine/http/sequential", test_sequential_requests);
  g_test_add_func ("/engine/http/retry-after", test_retry_after);
  g_test_add_func ("/engine/http/server-errors", test_server_errors_give_up);
  g_test_add_func ("/engine/http/stall-times-out", test_stall_times_out);
  g_test_add_func ("/engine/http/oversized-dropped", test_oversized_and_dropped);
  g_test_add_func ("/engine/http/cancel-in-flight", test_cancel_in_flight);
  g_test_add_func ("/engine/http/redaction", test_redaction);
  return g_test_run ();
}
