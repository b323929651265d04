/* ave-remote.h — every remote call of one job goes through here: the
 * price and the budget before it is sent, the response cache, the HTTP
 * client (retries, timeouts, cancel), the provider's token counts after
 * it, and the record of it (costs.json, metrics, --json events, the
 * ledger the app graphs).  docs/ai.md describes it for users.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/ave-settings.h"
#include "resources/ave-cost-ledger.h"

G_BEGIN_DECLS

typedef struct _AveRemote AveRemote;

typedef enum {
  AVE_REMOTE_NOTICE,
  AVE_REMOTE_WARNING,
  AVE_REMOTE_COST,          /* `record` is set */
} AveRemoteEventKind;

typedef void (*AveRemoteEventFunc) (AveRemoteEventKind    kind,
                                    const char           *message,
                                    const AveCostRecord  *record,
                                    gpointer              user_data);

/* Reads the provider's own token counts from a 2xx answer. */
typedef void (*AveRemoteUsageFunc) (JsonNode *answer, guint64 *prompt_tokens, guint64 *completion_tokens);
/* Whether the answer is usable; FALSE with G_IO_ERROR_INVALID_DATA and why
 * when not (it is then neither cached nor used, but still charged). */
typedef gboolean (*AveRemoteValidateFunc) (JsonNode *answer, gpointer user_data, GError **error);

typedef struct
{
  const char         *kind;            /* "chat", "transcription", "image" */
  const char         *provider;        /* "openai", "gemini" */
  const char         *model;
  const char         *url;             /* no credentials */
  const char         *key_header;      /* "Authorization" or "x-goog-api-key" */
  const char         *key;             /* NULL: no key is sent (a local server) */
  const char         *content_type;
  GBytes             *body;
  /* The worst case, priced before sending: prompt tokens are at most the
   * request's bytes (no tokenizer makes a token of less than a byte). */
  guint64             max_completion_tokens;
  double              audio_seconds;
  guint               images;
  /* --cost-aware skips it (recorded as refused-budget) when it could take
   * the budget past 80 % */
  gboolean            optional;
  AveRemoteUsageFunc  read_usage;
  /* What the response cache keys on instead of the body (NULL: the body),
   * for requests whose answers may stand for each other (images of
   * similar titles) or whose equal bodies must not (one image each). */
  const char         *cache_text;
} AveRemoteCall;

AveRemote *ave_remote_new            (const AveSettings  *settings,
                                      AveCostLedger      *ledger);
void       ave_remote_free           (AveRemote *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveRemote, ave_remote_free)

void       ave_remote_set_event_func (AveRemote *self, AveRemoteEventFunc func, gpointer user_data);
/* A notice of a provider's client, to whoever listens to this AveRemote. */
void       ave_remote_notice         (AveRemote *self, const char *message);

/* Sends the call (or answers it from the response cache) and returns the
 * parsed JSON answer, or NULL and an error: G_IO_ERROR_PERMISSION_DENIED
 * (refused by the budget, or no price known with a budget set),
 * G_IO_ERROR_CANCELLED, G_IO_ERROR_INVALID_DATA (not JSON, or `validate`
 * refused it), G_IO_ERROR_FAILED (an HTTP error status, its message
 * quoted), or the connection's error.  Every outcome is recorded. */
JsonNode  *ave_remote_call           (AveRemote              *self,
                                      const AveRemoteCall    *call,
                                      AveRemoteValidateFunc   validate,
                                      gpointer                user_data,
                                      GCancellable           *cancellable,
                                      GError                **error);

/* The model to use for `model` now: --cost-aware past half the budget
 * prefers settings->llm_cheap_model. */
const char *ave_remote_choose_model  (AveRemote *self, const char *model);

/* --cost-aware with a budget: TRUE when what is left of the budget is
 * less than twice the call's worst case (its optional companions should
 * then be asked for separately, and may be skipped). */
gboolean   ave_remote_budget_is_near (AveRemote *self, const AveRemoteCall *call);

/* costs.json: {"currency", "budget_usd", "total_usd", "prices_as_of", "calls": [...]} */
JsonNode  *ave_remote_costs_to_json  (AveRemote *self);
guint      ave_remote_get_n_calls    (AveRemote *self);
/* Requests that went out on the network (cached and refused calls send none). */
guint      ave_remote_get_n_sent     (AveRemote *self);

/* Where the key of a service ("llm", "asr" or "image") is filed for these settings:
 * the provider its requests speak ("openai" or "gemini") and the URL they
 * go to (NULL: the provider's public API).  The keyring entry the app and
 * `auth set` store is the one a job looks up. */
void       ave_remote_key_target     (const AveSettings *settings,
                                      const char        *service,
                                      const char       **provider,
                                      const char       **url);

/* The environment variable of the service's own key ("AVE_ASR_API_KEY",
 * "AVE_IMAGE_API_KEY", "AVE_LLM_API_KEY"), looked at before AVE_API_KEY. */
const char *ave_remote_key_variable  (const char *service);

/* The key for a service ("llm", "asr" or "image"): AVE_LLM_API_KEY /
 * AVE_ASR_API_KEY / AVE_IMAGE_API_KEY, else AVE_API_KEY, else the desktop keyring (ave-keys.h); NULL when none. */
char      *ave_remote_find_key       (const char *service, const char *provider, const char *url,
                                      char **where_looked);

G_END_DECLS
