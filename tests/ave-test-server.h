/* ave-test-server.h — a scripted HTTP server on 127.0.0.1 for the tests of
 * the remote providers (a real SoupServer on its own thread, no mocks).
 *
 * Replies are queued in order; each request takes the next one (or the
 * default reply when the queue is empty).  Every request is recorded. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  AVE_TEST_REPLY_NORMAL,     /* status, headers, body */
  AVE_TEST_REPLY_STALL,      /* never answers */
  AVE_TEST_REPLY_DROP,       /* closes the connection without an answer */
} AveTestReplyKind;

typedef struct _AveTestServer AveTestServer;

typedef struct
{
  char *method;
  char *path;
  char *query;
  char *headers;     /* "Name: value\n" lines */
  GBytes *body;
  gint64 when_us;    /* monotonic time it arrived */
} AveTestRequest;

AveTestServer *ave_test_server_new        (void);
void           ave_test_server_free       (AveTestServer *self);
/* "http://127.0.0.1:PORT" */
const char    *ave_test_server_get_url    (AveTestServer *self);
/* `retry_after` NULL: no header. */
void           ave_test_server_push       (AveTestServer *self, AveTestReplyKind kind, guint status,
                                           const char *retry_after, const char *body);
void           ave_test_server_set_default (AveTestServer *self, guint status, const char *body);
/* When the queue is empty: the reply computed from the request (on the
 * server's thread); returns the body, sets *status. */
typedef char *(*AveTestResponder) (const AveTestRequest *request, guint *status, gpointer user_data);
void           ave_test_server_set_responder (AveTestServer *self, AveTestResponder func, gpointer user_data);
guint          ave_test_server_get_n_requests (AveTestServer *self);
/* A copy; free with ave_test_request_free. */
AveTestRequest *ave_test_server_get_request (AveTestServer *self, guint index);
void           ave_test_request_free      (AveTestRequest *request);
/* Every request's headers, query and body, joined (for "never sent" checks). */
char          *ave_test_server_dump       (AveTestServer *self);
void           ave_test_server_reset      (AveTestServer *self);

/* The image API (POST …/images/generations): `n` real PNGs of width x
 * height, each one colour (0xRRGGBB), as {"created", "data":
 * [{"b64_json": …}, …]}. */
char          *ave_test_image_answer      (guint n, int width, int height, const guint32 *colours);

/* A responder for the image API: each request gets the number of
 * pictures its "n" asks for, picture k of all made so far in colour
 * AVE_TEST_IMAGE_COLOURS[k % 8]; `user_data` is a guint counting them
 * (reset it to start again).  A request without a JSON "n" is answered 400. */
extern const guint32 AVE_TEST_IMAGE_COLOURS[8];
char          *ave_test_images_responder  (const AveTestRequest *request, guint *status, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveTestServer, ave_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveTestRequest, ave_test_request_free)

G_END_DECLS
