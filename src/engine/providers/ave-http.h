/* ave-http.h — the engine's one HTTP client (libsoup 3), for the remote
 * director and speech recognition (docs/ai.md).
 *
 * One SoupSession per AveHttp.  ave_http_send() is called from an engine
 * worker thread (never the app's main loop): it runs libsoup's async API
 * in the client's own main context until the answer is read, so that a
 * cancel from any thread aborts the request in flight at once.  Requests
 * of one AveHttp run one at a time (a second caller waits).
 *
 * Failure is normal on networks: 429, 5xx, timeouts and dropped
 * connections are retried with exponential backoff and jitter, honouring
 * Retry-After; answers are read up to a size cap.  The API key travels in
 * one request header only (Authorization: Bearer or x-goog-api-key); it is
 * never put in a URL, and it is blanked out of every error message this
 * unit writes, even when a server echoes it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  double  timeout_s;            /* connect, and any read or write that makes no progress; default 30 */
  guint   max_retries;          /* further attempts after the first; default 3 */
  double  backoff_base_s;       /* first wait, doubled each retry, ±50 % jitter; default 1 */
  double  max_retry_after_s;    /* a longer Retry-After is not waited for: the call fails; default 120 */
  gsize   max_response_bytes;   /* default 16 MiB */
} AveHttpOptions;

void ave_http_options_init (AveHttpOptions *options);

typedef struct _AveHttp AveHttp;

typedef struct
{
  guint   status;               /* the final attempt's HTTP status */
  GBytes *body;
  guint   attempts;             /* 1 + retries */
  double  latency_s;            /* from the first byte sent to the last read, waits included */
} AveHttpResponse;

void     ave_http_response_free (AveHttpResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveHttpResponse, ave_http_response_free)

typedef struct
{
  const char *method;           /* "POST" */
  const char *url;              /* no credentials in it */
  const char *key_header;       /* "Authorization" or "x-goog-api-key"; NULL: no key */
  const char *key;              /* the key; "Bearer " is added for Authorization */
  const char *content_type;     /* of body */
  GBytes     *body;
} AveHttpRequest;

AveHttp *ave_http_new           (const AveHttpOptions *options);
void     ave_http_free          (AveHttp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveHttp, ave_http_free)

/* Sends the request, retrying as described above, and returns the answer
 * of any final status (the caller decides what a 4xx means; the status is
 * in the response) or NULL and an error: G_IO_ERROR_CANCELLED,
 * G_IO_ERROR_TIMED_OUT, G_IO_ERROR_MESSAGE_TOO_LARGE (the answer passed
 * the cap), G_IO_ERROR_BUSY (still 429/5xx after the retries), or the
 * connection's error.  Messages name the URL without query or user info.
 * `on_retry` (may be NULL) hears of each retry and its wait. */
typedef void (*AveHttpRetryFunc) (guint attempt, double wait_s, const char *why, gpointer user_data);

AveHttpResponse *ave_http_send  (AveHttp               *self,
                                 const AveHttpRequest  *request,
                                 AveHttpRetryFunc       on_retry,
                                 gpointer               user_data,
                                 GCancellable          *cancellable,
                                 GError               **error);

/* The URL as it may be shown: scheme, host, port and path only. */
char    *ave_http_display_url   (const char *url);
/* `text` with every occurrence of `key` replaced by "[redacted]". */
char    *ave_http_redact        (const char *text, const char *key);
/* Retry-After as seconds: a number of seconds or an HTTP date; -1 when absent or unreadable. */
double   ave_http_parse_retry_after (const char *value);

G_END_DECLS
