#define G_LOG_DOMAIN "ave-remote"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-remote.h"
#include "ave-http.h"
#include "ave-keys.h"
#include "ave-prices.h"
#include "resources/ave-cache.h"

/* Tokens a chat template may add around the messages, beyond their bytes. */
#define TEMPLATE_TOKENS 64

typedef struct
{
  char         *kind, *provider, *model;
  AveCostRecord record;      /* the strings point at the ones above */
} Entry;

struct _AveRemote
{
  AveSettings        *settings;
  AveCostLedger      *ledger;
  AveHttp            *http;
  AveCache           *cache;       /* --cache-responses; NULL otherwise */
  AveRemoteEventFunc  event_func;
  gpointer            event_data;
  GArray             *entries;     /* Entry */
  guint               sent;
  GMutex              lock;
};

static void
clear_entry (gpointer data)
{
  Entry *e = data;

  g_free (e->kind);
  g_free (e->provider);
  g_free (e->model);
}

AveRemote *
ave_remote_new (const AveSettings *settings,
                AveCostLedger     *ledger)
{
  AveRemote *self = g_new0 (AveRemote, 1);
  AveHttpOptions options;

  self->settings = ave_settings_copy (settings);
  self->ledger = g_object_ref (ledger);
  ave_http_options_init (&options);
  options.timeout_s = settings->api_timeout;
  options.max_retries = settings->api_max_retries;
  self->http = ave_http_new (&options);
  self->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (self->entries, clear_entry);
  g_mutex_init (&self->lock);

  if (settings->cache_responses)
    {
      /* The persistent cache, whatever --cache says: a response is worth
       * keeping across runs (the guide's response_caching lifetime). */
      g_autofree char *directory = settings->cache_dir != NULL
                                   ? g_strdup (settings->cache_dir)
                                   : g_build_filename (g_get_user_cache_dir (), "ai-video-editor", NULL);
      g_autoptr(GError) error = NULL;

      self->cache = ave_cache_new (directory, settings->cache_size_bytes, settings->cache_strategy, &error);
      if (self->cache == NULL)
        g_warning ("--cache-responses: %s; responses are not cached", error->message);
    }
  return self;
}

void
ave_remote_free (AveRemote *self)
{
  if (self == NULL)
    return;
  ave_settings_free (self->settings);
  g_object_unref (self->ledger);
  ave_http_free (self->http);
  g_clear_pointer (&self->cache, ave_cache_free);
  g_array_unref (self->entries);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
ave_remote_set_event_func (AveRemote *self, AveRemoteEventFunc func, gpointer user_data)
{
  self->event_func = func;
  self->event_data = user_data;
}

static void
say (AveRemote *self, AveRemoteEventKind kind, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
say (AveRemote *self, AveRemoteEventKind kind, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (self->event_func != NULL)
    self->event_func (kind, message, NULL, self->event_data);
}

static void
record (AveRemote *self, const AveRemoteCall *call, const char *model, guint64 prompt, guint64 completion,
        double usd, AveCallStatus status, double latency_s)
{
  Entry e = { 0 };
  AveCostRecord copy;

  e.kind = g_strdup (call->kind);
  e.provider = g_strdup (call->provider);
  e.model = g_strdup (model);
  e.record = (AveCostRecord) {
    .kind = e.kind, .provider = e.provider, .model = e.model,
    .prompt_tokens = prompt, .completion_tokens = completion,
    .audio_seconds = status == AVE_CALL_OK || status == AVE_CALL_FAILED ? call->audio_seconds : 0,
    .images = status == AVE_CALL_OK ? call->images : 0,
    .usd = usd, .status = status, .latency_s = latency_s,
  };
  g_mutex_lock (&self->lock);
  g_array_append_val (self->entries, e);
  copy = e.record;
  g_mutex_unlock (&self->lock);
  if (self->event_func != NULL)
    self->event_func (AVE_REMOTE_COST, NULL, &copy, self->event_data);
}

void
ave_remote_notice (AveRemote *self, const char *message)
{
  say (self, AVE_REMOTE_NOTICE, "%s", message);
}

const char *
ave_remote_choose_model (AveRemote *self, const char *model)
{
  const AveSettings *s = self->settings;

  if (s->cost_aware && s->llm_cheap_model != NULL && s->budget_limit_usd > 0
      && ave_cost_ledger_get_fraction (self->ledger) >= 0.5 && g_strcmp0 (model, s->llm_cheap_model) != 0)
    {
      say (self, AVE_REMOTE_NOTICE, "--cost-aware: half the budget is used; %s instead of %s",
           s->llm_cheap_model, model);
      return s->llm_cheap_model;
    }
  return model;
}

gboolean
ave_remote_budget_is_near (AveRemote *self, const AveRemoteCall *call)
{
  const AveSettings *s = self->settings;
  AvePrice price;
  AveCostTotals t;
  double bound;

  if (!s->cost_aware || s->budget_limit_usd <= 0 || !ave_prices_lookup (s, call->model, &price))
    return FALSE;
  bound = ave_price_cost (&price, g_bytes_get_size (call->body) + TEMPLATE_TOKENS, call->max_completion_tokens,
                          call->audio_seconds, call->images);
  ave_cost_ledger_get_totals (self->ledger, &t);
  return t.budget_usd - t.spent_usd - t.reserved_usd < 2 * bound;
}

/* The cache key: the URL as it may be shown (no credentials), the model
 * and the body (or the call's cache_text); never the key. */
static char *
cache_key (const AveRemoteCall *call)
{
  g_autofree char *url = ave_http_display_url (call->url);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize length;
  const guchar *body = g_bytes_get_data (call->body, &length);

  g_checksum_update (sum, (const guchar *) url, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) call->model, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  if (call->cache_text != NULL)
    g_checksum_update (sum, (const guchar *) call->cache_text, -1);
  else
    g_checksum_update (sum, body, length);
  return g_strdup (g_checksum_get_string (sum));
}

static JsonNode *
parse_json (GBytes *bytes, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  if (data == NULL || !json_parser_load_from_data (parser, data, length, error))
    return NULL;
  return json_parser_steal_root (parser);
}

/* The cached payload: "T <unix seconds>\n" and the answer. */
static JsonNode *
cache_lookup (AveRemote *self, const char *key)
{
  g_autoptr(GBytes) payload = ave_cache_lookup_bytes (self->cache, key, "response");
  const char *data;
  gsize length;
  const char *newline;
  gint64 stored;
  g_autoptr(GBytes) answer = NULL;

  if (payload == NULL)
    return NULL;
  data = g_bytes_get_data (payload, &length);
  newline = memchr (data, '\n', length);
  if (length < 3 || data[0] != 'T' || newline == NULL)
    return NULL;
  stored = g_ascii_strtoll (data + 2, NULL, 10);
  if (g_get_real_time () / G_USEC_PER_SEC - stored > (gint64) self->settings->response_cache_seconds)
    return NULL;
  answer = g_bytes_new_from_bytes (payload, newline + 1 - data, length - (newline + 1 - data));
  return parse_json (answer, NULL);
}

static void
cache_store (AveRemote *self, const char *key, GBytes *answer, double seconds)
{
  g_autofree char *head = g_strdup_printf ("T %" G_GINT64_FORMAT "\n", g_get_real_time () / G_USEC_PER_SEC);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_byte_array_append (payload, (const guint8 *) head, strlen (head));
  g_byte_array_append (payload, g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  if (!ave_cache_store_bytes (self->cache, key, "response", bytes, seconds, &error))
    say (self, AVE_REMOTE_WARNING, "--cache-responses: %s", error->message);
}

static void
on_retry (guint attempt, double wait_s, const char *why, gpointer user_data)
{
  AveRemote *self = user_data;

  say (self, AVE_REMOTE_NOTICE, "remote call: %s; try %u in %.1f s", why, attempt + 1, wait_s);
}

/* A short, key-free quote of an error answer. */
static char *
quote_error (GBytes *body, const char *key)
{
  gsize length = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &length) : NULL;
  g_autofree char *text = g_strndup (data != NULL ? data : "", MIN (length, 300));
  g_autoptr(JsonNode) node = body != NULL ? parse_json (body, NULL) : NULL;

  /* {"error": {"message": "…"}} (OpenAI, Gemini) or {"error": "…"} */
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      JsonNode *e = json_object_get_member (o, "error");

      if (e != NULL && JSON_NODE_HOLDS_OBJECT (e)
          && json_object_has_member (json_node_get_object (e), "message"))
        {
          g_free (text);
          text = g_strdup (json_object_get_string_member_with_default (json_node_get_object (e), "message", ""));
        }
      else if (e != NULL && JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
        {
          g_free (text);
          text = g_strdup (json_node_get_string (e));
        }
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_free (text);
      text = g_strdup ("(not text)");
    }
  return ave_http_redact (text, key);
}

JsonNode *
ave_remote_call (AveRemote              *self,
                 const AveRemoteCall    *call,
                 AveRemoteValidateFunc   validate,
                 gpointer                user_data,
                 GCancellable           *cancellable,
                 GError                **error)
{
  const AveSettings *s = self->settings;
  g_autofree char *key = NULL;
  g_autofree char *shown = ave_http_display_url (call->url);
  g_autoptr(AveHttpResponse) response = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local = NULL;
  AvePrice price;
  gboolean priced = ave_prices_lookup (s, call->model, &price);
  guint64 prompt_bound = g_bytes_get_size (call->body) + TEMPLATE_TOKENS;
  guint64 prompt = 0, completion = 0;
  double bound, usd;
  guint reservation;

  if (self->cache != NULL)
    {
      key = cache_key (call);
      answer = cache_lookup (self, key);
      if (answer != NULL && (validate == NULL || validate (answer, user_data, NULL)))
        {
          ave_cost_ledger_record_cache_hit (self->ledger, call->kind);
          record (self, call, call->model, 0, 0, 0, AVE_CALL_CACHED, 0);
          return g_steal_pointer (&answer);
        }
      g_clear_pointer (&answer, json_node_unref);
    }

  if (!priced && s->budget_limit_usd > 0)
    {
      record (self, call, call->model, 0, 0, 0, AVE_CALL_REFUSED_BUDGET, 0);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "%s: no price is known for the model %s, so it is not called under a budget; "
                   "give one with --api-price %s:input_per_mtok=X,output_per_mtok=Y (0 for a local server)",
                   shown, call->model, call->model);
      return NULL;
    }
  bound = ave_price_cost (&price, prompt_bound, call->max_completion_tokens, call->audio_seconds, call->images);

  /* --cost-aware: optional calls go first when the budget runs short. */
  if (call->optional && s->cost_aware && s->budget_limit_usd > 0)
    {
      AveCostTotals t;

      ave_cost_ledger_get_totals (self->ledger, &t);
      if (t.spent_usd + t.reserved_usd + bound > 0.8 * t.budget_usd)
        {
          record (self, call, call->model, 0, 0, 0, AVE_CALL_REFUSED_BUDGET, 0);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                       "--cost-aware: an optional %s call skipped (it could take the budget past 80 %%)", call->kind);
          return NULL;
        }
    }

  reservation = ave_cost_ledger_reserve (self->ledger, call->kind, bound, &local);
  if (reservation == 0)
    {
      record (self, call, call->model, 0, 0, 0, AVE_CALL_REFUSED_BUDGET, 0);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }

  {
    AveHttpRequest request = { "POST", call->url, call->key_header, call->key, call->content_type, call->body };

    g_mutex_lock (&self->lock);
    self->sent++;
    g_mutex_unlock (&self->lock);
    response = ave_http_send (self->http, &request, on_retry, self, cancellable, &local);
  }
  if (response == NULL)
    {
      ave_cost_ledger_settle (self->ledger, reservation, 0);
      record (self, call, call->model, 0, 0, 0, AVE_CALL_FAILED, 0);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (response->status < 200 || response->status > 299)
    {
      g_autofree char *quoted = quote_error (response->body, call->key);

      ave_cost_ledger_settle (self->ledger, reservation, 0);
      record (self, call, call->model, 0, 0, 0, AVE_CALL_FAILED, response->latency_s);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: HTTP %u: %s%s", shown, response->status, quoted,
                   response->status == 401 || response->status == 403
                   ? " (check the API key: AVE_LLM_API_KEY, AVE_ASR_API_KEY, AVE_IMAGE_API_KEY or AVE_API_KEY, or `ai-video-editor auth set`)" : "");
      return NULL;
    }

  answer = parse_json (response->body, &local);
  if (answer != NULL && call->read_usage != NULL)
    call->read_usage (answer, &prompt, &completion);
  usd = ave_price_cost (&price, prompt, completion, call->audio_seconds, call->images);
  /* The ledger never passes the budget: a provider that reports more than
   * the call could use is charged its bound, and said so. */
  if (usd > bound)
    {
      say (self, AVE_REMOTE_WARNING,
           "%s reported %" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT " tokens, more than the call allowed; "
           "charged its bound ($%.6f) instead of $%.6f", call->provider, prompt, completion, bound, usd);
      usd = bound;
    }
  ave_cost_ledger_settle (self->ledger, reservation, usd);

  if (answer == NULL || (validate != NULL && !validate (answer, user_data, &local)))
    {
      record (self, call, call->model, prompt, completion, usd, AVE_CALL_FAILED, response->latency_s);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the answer is unusable: %s",
                   shown, local != NULL ? local->message : "not JSON");
      return NULL;
    }
  record (self, call, call->model, prompt, completion, usd, AVE_CALL_OK, response->latency_s);
  if (self->cache != NULL)
    cache_store (self, key, response->body, response->latency_s);
  return g_steal_pointer (&answer);
}

JsonNode *
ave_remote_costs_to_json (AveRemote *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  double total = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->entries->len; i++)
    total += g_array_index (self->entries, Entry, i).record.usd;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "currency");
  json_builder_add_string_value (b, "USD");
  json_builder_set_member_name (b, "budget_usd");
  if (self->settings->budget_limit_usd > 0)
    json_builder_add_double_value (b, self->settings->budget_limit_usd);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "total_usd");
  json_builder_add_double_value (b, total);
  json_builder_set_member_name (b, "prices_as_of");
  json_builder_add_string_value (b, ave_prices_as_of ());
  json_builder_set_member_name (b, "calls");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->entries->len; i++)
    {
      const AveCostRecord *r = &g_array_index (self->entries, Entry, i).record;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, r->kind);
      json_builder_set_member_name (b, "provider");
      json_builder_add_string_value (b, r->provider);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, r->model);
      json_builder_set_member_name (b, "prompt_tokens");
      json_builder_add_int_value (b, r->prompt_tokens);
      json_builder_set_member_name (b, "completion_tokens");
      json_builder_add_int_value (b, r->completion_tokens);
      json_builder_set_member_name (b, "audio_seconds");
      json_builder_add_double_value (b, r->audio_seconds);
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, r->images);
      json_builder_set_member_name (b, "usd");
      json_builder_add_double_value (b, r->usd);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, ave_call_status_to_string (r->status));
      json_builder_set_member_name (b, "latency_s");
      json_builder_add_double_value (b, r->latency_s);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_mutex_unlock (&self->lock);
  return json_builder_get_root (b);
}

guint
ave_remote_get_n_calls (AveRemote *self)
{
  return self->entries->len;
}

guint
ave_remote_get_n_sent (AveRemote *self)
{
  return self->sent;
}

void
ave_remote_key_target (const AveSettings *settings,
                       const char        *service,
                       const char       **provider,
                       const char       **url)
{
  if (g_str_equal (service, "asr"))
    {
      /* the transcription API is the OpenAI-compatible one */
      *provider = "openai";
      *url = settings->asr_url;
    }
  else if (g_str_equal (service, "image"))
    {
      /* so is the image API */
      *provider = "openai";
      *url = settings->image_url;
    }
  else
    {
      *provider = g_strcmp0 (settings->llm_provider, "gemini") == 0 ? "gemini" : "openai";
      *url = settings->llm_url;
    }
}

const char *
ave_remote_key_variable (const char *service)
{
  return g_str_equal (service, "asr") ? "AVE_ASR_API_KEY"
       : g_str_equal (service, "image") ? "AVE_IMAGE_API_KEY" : "AVE_LLM_API_KEY";
}

char *
ave_remote_find_key (const char *service, const char *provider, const char *url, char **where_looked)
{
  const char *specific = ave_remote_key_variable (service);
  const char *value = g_getenv (specific);
  g_autofree char *keyring_note = NULL;
  char *key;

  if (value == NULL || *value == '\0')
    value = g_getenv ("AVE_API_KEY");
  if (value != NULL && *value != '\0')
    return g_strdup (value);
  key = ave_keys_lookup (provider, url, &keyring_note);
  if (key != NULL)
    return key;
  if (where_looked != NULL)
    *where_looked = g_strdup_printf ("no API key for %s: %s and AVE_API_KEY are not set, and %s",
                                     provider, specific, keyring_note);
  return NULL;
}
