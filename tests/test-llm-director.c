/* The LLM director over real HTTP: a SoupServer on 127.0.0.1 (started by
 * the test) speaks the OpenAI-compatible chat API and Gemini's
 * generateContent with scripted answers and faults.  The plan follows the
 * answer, costs are the provider's counts times the prices exactly, the
 * budget is never passed, a cached second run sends nothing, broken
 * answers get one repair and then the local rules, a cancel aborts, and
 * the key is sent in its header only. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "ave-test-server.h"
#include "pipeline/ave-job.h"
#include "director/ave-local-director.h"
#include "media/ave-media.h"
#include "providers/ave-llm-director.h"
#include "providers/ave-remote.h"

#define KEY "sk-llm-test-4f9c2a7d1e"

/* Five sentences: 1 welcome, 2 a false start, 3 the point, 4 a tangent, 5 thanks. */
static const struct { const char *text; double start; } talk[] = {
  { "welcome to the talk.", 0.5 },
  { "so the first the first", 4.0 },
  { "the first point is speed.", 7.5 },
  { "an unrelated story about my cat.", 11.0 },
  { "thanks for watching.", 15.0 },
};

static AveAnalysis *
make_talk_for (const char *source, double duration, const AveMediaInfo *media);

static AveAnalysis *
make_talk (const char *source, double duration)
{
  return make_talk_for (source, duration, NULL);
}

static AveAnalysis *
make_talk_for (const char *source, double duration, const AveMediaInfo *media)
{
  AveMediaInfo info = { 0 };
  AveAnalysis *a;
  AveShot shot = { 0 };
  double previous_end = 0;

  info.path = (char *) source;
  info.duration = duration;
  info.has_audio = info.has_video = TRUE;
  info.width = info.display_width = 320;
  info.height = info.display_height = 240;
  info.frame_rate = 25;
  info.sample_rate = 48000;
  info.channels = 1;
  a = ave_analysis_new (source, media != NULL ? media : &info);
  for (guint i = 0; i < G_N_ELEMENTS (talk); i++)
    {
      g_auto(GStrv) words = g_strsplit (talk[i].text, " ", -1);
      double t = talk[i].start;
      AveInterval silence = { previous_end, talk[i].start };
      AveInterval speech;

      if (silence.end > silence.start)
        g_array_append_val (a->silences, silence);
      speech.start = t;
      for (guint w = 0; words[w] != NULL; w++, t += 0.5)
        ave_analysis_add_word (a, words[w], t, t + 0.4, 0.9, FALSE);
      speech.end = previous_end = t - 0.1;
      g_array_append_val (a->speech, speech);
    }
  {
    AveInterval tail = { previous_end, duration };
    g_array_append_val (a->silences, tail);
  }
  shot.start = 0;
  shot.end = duration;
  shot.quality = 0.8;
  g_array_append_val (a->shots, shot);
  ave_analysis_sort (a);
  return a;
}

static const char decisions[] =
  "{\"sentences\":["
  "{\"n\":1,\"keep\":true,\"reason\":\"opens the talk\"},"
  "{\"n\":2,\"keep\":false,\"reason\":\"false start\"},"
  "{\"n\":3,\"keep\":true,\"reason\":\"the main point\"},"
  "{\"n\":4,\"keep\":false,\"reason\":\"off-topic tangent\"},"
  "{\"n\":5,\"keep\":true,\"reason\":\"closing\"}],"
  "\"chapters\":[{\"n\":1,\"title\":\"Welcome\"},{\"n\":3,\"title\":\"Speed\"}],"
  "\"title\":\"Why Speed Matters\",\"description\":\"A short talk about speed.\","
  "\"tags\":[\"speed\",\"talk\"],\"thumbnail\":{\"n\":3,\"text\":\"SPEED\"}}";

/* An OpenAI chat completion whose message is `content`. */
static char *
openai_answer (const char *content, guint prompt_tokens, guint completion_tokens)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "assistant");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, content);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, prompt_tokens);
  json_builder_set_member_name (b, "completion_tokens");
  json_builder_add_int_value (b, completion_tokens);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static char *
gemini_answer (const char *content, guint prompt_tokens, guint completion_tokens)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "candidates");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "content");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "parts");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, content);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "usageMetadata");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "promptTokenCount");
  json_builder_add_int_value (b, prompt_tokens);
  json_builder_set_member_name (b, "candidatesTokenCount");
  json_builder_add_int_value (b, completion_tokens);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static AveSettings *
llm_settings (AveTestServer *server, const char *path)
{
  AveSettings *s = ave_settings_new ();
  const char *prices[] = { "test-model:input_per_mtok=2", "test-model:output_per_mtok=10", NULL };

  g_free (s->director);
  s->director = g_strdup ("llm");
  s->llm_url = g_strconcat (ave_test_server_get_url (server), path, NULL);
  s->llm_model = g_strdup ("test-model");
  s->api_prices = g_strdupv ((char **) prices);
  s->api_timeout = 5;
  s->api_max_retries = 1;
  s->transitions = FALSE;
  return s;
}

typedef struct
{
  GPtrArray *warnings;
  GPtrArray *notices;
} Messages;

static void
on_message (AveDirectorMessageKind kind, const char *message, gpointer user_data)
{
  Messages *m = user_data;
  g_ptr_array_add (kind == AVE_DIRECTOR_WARNING ? m->warnings : m->notices, g_strdup (message));
}

static void
on_remote (AveRemoteEventKind kind, const char *message, const AveCostRecord *record, gpointer user_data)
{
  Messages *m = user_data;
  if (kind == AVE_REMOTE_WARNING)
    g_ptr_array_add (m->warnings, g_strdup (message));
  else if (kind == AVE_REMOTE_NOTICE)
    g_ptr_array_add (m->notices, g_strdup (message));
}

/* Runs the LLM director once; the plan, with its messages in `m`. */
static AvePlan *
run_director (const AveSettings *s, AveCostLedger *ledger, Messages *m, JsonNode **costs,
              GCancellable *cancellable, GError **error)
{
  g_autoptr(AveAnalysis) a = make_talk ("talk.mp4", 20.0);
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  g_autoptr(AveDirector) director = ave_llm_director_new (remote);
  AvePlan *plan;

  ave_remote_set_event_func (remote, on_remote, m);
  ave_director_set_message_func (director, on_message, m);
  plan = ave_director_plan (director, a, s, cancellable, error);
  if (costs != NULL)
    *costs = ave_remote_costs_to_json (remote);
  return plan;
}

static void
messages_init (Messages *m)
{
  m->warnings = g_ptr_array_new_with_free_func (g_free);
  m->notices = g_ptr_array_new_with_free_func (g_free);
}

static void
messages_clear (Messages *m)
{
  g_clear_pointer (&m->warnings, g_ptr_array_unref);
  g_clear_pointer (&m->notices, g_ptr_array_unref);
}

/* Whether the enabled segments play source time `t`. */
static gboolean
plays (AvePlan *plan, double t)
{
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *seg = ave_plan_get_segment (plan, i);
      if (seg->enabled && t >= seg->start && t <= seg->end)
        return TRUE;
    }
  return FALSE;
}

static const AveSegment *
segment_at (AvePlan *plan, double t)
{
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    {
      const AveSegment *seg = ave_plan_get_segment (plan, i);
      if (t >= seg->start && t <= seg->end)
        return seg;
    }
  return NULL;
}

static void
test_plan_follows_answer (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AveTestRequest) request = NULL;
  g_autofree char *answer = openai_answer (decisions, 1234, 567);
  g_autofree char *body = NULL;
  Messages m;
  JsonObject *c, *call;
  const char *title;

  messages_init (&m);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
  plan = run_director (s, ledger, &m, &costs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m.warnings->len, ==, 0);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "llm:openai/test-model");

  /* Kept: 1, 3, 5; dropped (switched off, with the model's reason): 2, 4. */
  g_assert_true (plays (plan, 1.0));
  g_assert_true (plays (plan, 8.0));
  g_assert_true (plays (plan, 16.0));
  g_assert_false (plays (plan, 4.5));
  g_assert_false (plays (plan, 12.0));
  g_assert_cmpstr (segment_at (plan, 4.5)->reason, ==, "dropped: false start");
  g_assert_false (segment_at (plan, 4.5)->enabled);
  g_assert_cmpstr (segment_at (plan, 12.0)->reason, ==, "dropped: off-topic tangent");
  g_assert_cmpstr (segment_at (plan, 8.0)->reason, ==, "the main point");
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    g_assert_cmpint (ave_plan_get_segment (plan, i)->origin, ==, AVE_SEGMENT_ORIGIN_LLM);
  /* No word clipped: every kept word lies whole inside a segment. */
  g_assert_true (plays (plan, 0.5) && plays (plan, 7.5) && plays (plan, 9.9) && plays (plan, 16.4));

  g_assert_cmpuint (ave_plan_get_n_chapters (plan), ==, 2);
  g_assert_cmpstr (ave_plan_get_chapter (plan, 0)->title, ==, "Welcome");
  g_assert_cmpstr (ave_plan_get_chapter (plan, 1)->title, ==, "Speed");
  g_assert_cmpfloat (ave_plan_get_chapter (plan, 1)->time, ==, ave_plan_source_to_output (plan, 7.5));
  g_assert_true (ave_plan_get_metadata (plan, &title, NULL, NULL, NULL, NULL));
  g_assert_cmpstr (title, ==, "Why Speed Matters");

  /* The cost is the provider's counts times the prices, exactly. */
  c = json_node_get_object (costs);
  g_assert_cmpfloat (json_object_get_double_member (c, "total_usd"), ==, 1234 * 2 / 1e6 + 567 * 10 / 1e6);
  call = json_array_get_object_element (json_object_get_array_member (c, "calls"), 0);
  g_assert_cmpstr (json_object_get_string_member (call, "status"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (call, "kind"), ==, "chat");
  g_assert_cmpint (json_object_get_int_member (call, "prompt_tokens"), ==, 1234);
  g_assert_cmpint (json_object_get_int_member (call, "completion_tokens"), ==, 567);

  /* What went out: the chat endpoint, the schema, the numbered sentences; the key in its header only. */
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  request = ave_test_server_get_request (server, 0);
  g_assert_cmpstr (request->path, ==, "/v1/chat/completions");
  g_assert_null (request->query);
  g_assert_nonnull (strstr (request->headers, "Authorization: Bearer " KEY));
  body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  g_assert_nonnull (strstr (body, "\"json_schema\""));
  g_assert_nonnull (strstr (body, "[2] 4.00-6.40 s: so the first the first"));
  g_assert_null (strstr (body, KEY));
  messages_clear (&m);
}

static void
test_gemini (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1beta");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AveTestRequest) request = NULL;
  g_autofree char *answer = gemini_answer (decisions, 2000, 300);
  g_autofree char *body = NULL;
  Messages m;

  messages_init (&m);
  g_free (s->llm_provider);
  s->llm_provider = g_strdup ("gemini");
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
  plan = run_director (s, ledger, &m, &costs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m.warnings->len, ==, 0);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "llm:gemini/test-model");
  g_assert_false (plays (plan, 12.0));
  g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==,
                     2000 * 2 / 1e6 + 300 * 10 / 1e6);

  request = ave_test_server_get_request (server, 0);
  g_assert_cmpstr (request->path, ==, "/v1beta/models/test-model:generateContent");
  g_assert_null (request->query);
  g_assert_nonnull (strstr (request->headers, "x-goog-api-key: " KEY));
  g_assert_null (strstr (request->headers, "Authorization"));
  body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  g_assert_nonnull (strstr (body, "\"responseSchema\""));
  g_assert_null (strstr (body, KEY));
  messages_clear (&m);
}

/* Not JSON, then JSON that breaks the schema: one repair, then the local rules. */
static void
test_repair_then_fallback (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *not_json = openai_answer ("Sure! Here is my edit: keep everything.", 100, 10);
  g_autofree char *broken = openai_answer ("{\"sentences\":[{\"n\":1,\"keep\":\"yes\",\"reason\":\"x\"}]}", 100, 10);
  g_autofree char *good = openai_answer (decisions, 100, 10);
  g_autoptr(AveTestRequest) repair = NULL;
  g_autofree char *repair_body = NULL;
  Messages m;

  messages_init (&m);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, not_json);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, broken);
  plan = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 2);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "local");
  g_assert_cmpuint (m.warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "LLM director (openai)"));
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "\"keep\" is missing or not true/false"));
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "local rules"));
  /* The repair request quotes the broken answer and says what was wrong. */
  repair = ave_test_server_get_request (server, 1);
  repair_body = g_strndup (g_bytes_get_data (repair->body, NULL), g_bytes_get_size (repair->body));
  g_assert_nonnull (strstr (repair_body, "Sure! Here is my edit"));
  g_assert_nonnull (strstr (repair_body, "is not JSON"));

  /* A broken answer repaired: the model's plan. */
  g_clear_object (&plan);
  ave_test_server_reset (server);
  g_ptr_array_set_size (m.warnings, 0);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, broken);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, good);
  plan = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 2);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "llm:openai/test-model");
  g_assert_cmpuint (m.warnings->len, ==, 0);
  messages_clear (&m);
}

/* A provider that is down: retried, then the local rules; the job goes on. */
static void
test_provider_down (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  Messages m;
  JsonObject *call;

  messages_init (&m);
  ave_test_server_set_default (server, 503, "{\"error\":{\"message\":\"overloaded, key " KEY " rejected\"}}");
  plan = run_director (s, ledger, &m, &costs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "local");
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 2);   /* 1 + api_max_retries */
  g_assert_cmpuint (m.warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "HTTP 503"));
  call = json_array_get_object_element (json_object_get_array_member (json_node_get_object (costs), "calls"), 0);
  g_assert_cmpstr (json_object_get_string_member (call, "status"), ==, "failed");
  g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==, 0);

  /* A 401 whose message echoes the key: the warning does not. */
  g_clear_object (&plan);
  g_ptr_array_set_size (m.warnings, 0);
  ave_test_server_set_default (server, 401, "{\"error\":{\"message\":\"Incorrect API key provided: " KEY "\"}}");
  plan = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m.warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "HTTP 401"));
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "[redacted]"));
  g_assert_null (strstr (g_ptr_array_index (m.warnings, 0), KEY));
  messages_clear (&m);
}

/* The budget bounds each call's worst case before it is sent. */
static void
test_budget (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *greedy = openai_answer (decisions, 1000000000, 1000000);
  AveCostTotals t;
  Messages m;
  JsonObject *call;

  messages_init (&m);
  /* 4096 completion tokens at $10 per million alone are $0.041: refused. */
  s->budget_limit_usd = 0.01;
  ledger = ave_cost_ledger_new (s->budget_limit_usd);
  ave_test_server_set_default (server, 200, greedy);
  plan = run_director (s, ledger, &m, &costs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 0);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "local");
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "budget"));
  call = json_array_get_object_element (json_object_get_array_member (json_node_get_object (costs), "calls"), 0);
  g_assert_cmpstr (json_object_get_string_member (call, "status"), ==, "refused-budget");

  /* Allowed, but the provider claims far more than the call could use:
   * the ledger charges the call's bound and never passes the budget. */
  g_clear_object (&plan);
  g_clear_pointer (&costs, json_node_unref);
  g_ptr_array_set_size (m.warnings, 0);
  s->budget_limit_usd = 0.2;
  g_clear_object (&ledger);
  ledger = ave_cost_ledger_new (s->budget_limit_usd);
  plan = run_director (s, ledger, &m, &costs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  ave_cost_ledger_get_totals (ledger, &t);
  g_assert_cmpfloat (t.spent_usd, >, 0.04);
  g_assert_cmpfloat (t.spent_usd, <=, s->budget_limit_usd);
  g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==, t.spent_usd);

  /* Under a budget a model without a price is not called. */
  g_clear_object (&plan);
  g_clear_pointer (&s->api_prices, g_strfreev);
  ave_test_server_reset (server);
  g_ptr_array_set_size (m.warnings, 0);
  plan = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 0);
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "no price is known for the model test-model"));
  messages_clear (&m);
}

/* One run of the director under `budget`; the number of requests, the
 * statuses of the calls in costs.json ("ok,refused-budget"), the plan's
 * title (NULL: none from the model) and the first request's body. */
static void
run_cost_aware (AveTestServer *server, AveSettings *s, double budget, gboolean cost_aware,
                guint *n_requests, char **statuses, char **title, char **first_body)
{
  g_autoptr(AveCostLedger) ledger = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) list = g_string_new (NULL);
  g_autoptr(AveTestRequest) request = NULL;
  const char *plan_title = NULL;
  JsonArray *calls;
  AveCostTotals t;
  Messages m;

  messages_init (&m);
  ave_test_server_reset (server);
  s->budget_limit_usd = budget;
  s->cost_aware = cost_aware;
  ledger = ave_cost_ledger_new (budget);
  plan = run_director (s, ledger, &m, &costs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "llm:openai/test-model");
  g_assert_cmpuint (m.warnings->len, ==, 0);
  *n_requests = ave_test_server_get_n_requests (server);
  calls = json_object_get_array_member (json_node_get_object (costs), "calls");
  for (guint i = 0; i < json_array_get_length (calls); i++)
    g_string_append_printf (list, "%s%s", i > 0 ? "," : "",
                            json_object_get_string_member (json_array_get_object_element (calls, i), "status"));
  *statuses = g_strdup (list->str);
  *title = ave_plan_get_metadata (plan, &plan_title, NULL, NULL, NULL, NULL) ? g_strdup (plan_title) : NULL;
  request = ave_test_server_get_request (server, 0);
  *first_body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  ave_cost_ledger_get_totals (ledger, &t);
  g_assert_cmpfloat (t.spent_usd, <=, budget);
  messages_clear (&m);
}

/* --cost-aware: near the budget the title, description, tags and
 * thumbnail (optional) are asked for after the decisions (required), and
 * skipped when they could take the budget past 80 %; without the flag, or
 * with room in the budget, one request asks for everything as before. */
static void
test_cost_aware (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  /* Free input and 1000 completion tokens at $10 per million: every
   * request's worst case is exactly $0.01; each answer costs $0.002. */
  const char *prices[] = { "test-model:input_per_mtok=0", "test-model:output_per_mtok=10", NULL };
  g_autofree char *answer = openai_answer (decisions, 1500, 200);
  guint n;

  g_strfreev (s->api_prices);
  s->api_prices = g_strdupv ((char **) prices);
  s->llm_max_tokens = 1000;
  ave_test_server_set_default (server, 200, answer);

  /* $0.014 left, under twice $0.01: the decisions go alone ($0.002 spent);
   * the metadata's $0.01 would then reach $0.012 > 80 % of $0.014: skipped. */
  {
    g_autofree char *statuses = NULL, *title = NULL, *body = NULL;

    run_cost_aware (server, s, 0.014, TRUE, &n, &statuses, &title, &body);
    g_assert_cmpuint (n, ==, 1);
    g_assert_cmpstr (statuses, ==, "ok,refused-budget");
    g_assert_cmpstr (title, !=, "Why Speed Matters");
    g_assert_nonnull (strstr (body, "\"sentences\""));
    g_assert_null (strstr (body, "\"description\""));
  }
  /* The same budget without --cost-aware: one request for everything. */
  {
    g_autofree char *statuses = NULL, *title = NULL, *body = NULL;

    run_cost_aware (server, s, 0.014, FALSE, &n, &statuses, &title, &body);
    g_assert_cmpuint (n, ==, 1);
    g_assert_cmpstr (statuses, ==, "ok");
    g_assert_cmpstr (title, ==, "Why Speed Matters");
    g_assert_nonnull (strstr (body, "\"description\""));
  }
  /* --cost-aware with room in the budget: as without it. */
  {
    g_autofree char *statuses = NULL, *title = NULL, *body = NULL;

    run_cost_aware (server, s, 1.0, TRUE, &n, &statuses, &title, &body);
    g_assert_cmpuint (n, ==, 1);
    g_assert_cmpstr (statuses, ==, "ok");
    g_assert_cmpstr (title, ==, "Why Speed Matters");
    g_assert_nonnull (strstr (body, "\"description\""));
  }
  /* $0.019: near, so split; $0.002 + $0.01 stays under 80 % ($0.0152):
   * the metadata call is made too. */
  {
    g_autofree char *statuses = NULL, *title = NULL, *body = NULL;

    run_cost_aware (server, s, 0.019, TRUE, &n, &statuses, &title, &body);
    g_assert_cmpuint (n, ==, 2);
    g_assert_cmpstr (statuses, ==, "ok,ok");
    g_assert_cmpstr (title, ==, "Why Speed Matters");
    g_assert_null (strstr (body, "\"description\""));
  }
}

/* --cache-responses: the second identical run sends nothing and costs $0. */
static void
test_cached_second_run (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) first = NULL;
  g_autoptr(AvePlan) second = NULL;
  g_autoptr(JsonNode) costs = NULL;
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = openai_answer (decisions, 1234, 567);
  g_autofree char *cache_dir = g_build_filename (ave_test_tmpdir (), "response-cache", NULL);
  g_autofree char *listing = NULL;
  Messages m;
  JsonObject *call;

  messages_init (&m);
  s->cache_responses = TRUE;
  s->cache_dir = g_strdup (cache_dir);
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
  first = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);

  second = run_director (s, ledger, &m, &costs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  call = json_array_get_object_element (json_object_get_array_member (json_node_get_object (costs), "calls"), 0);
  g_assert_cmpstr (json_object_get_string_member (call, "status"), ==, "cached");
  g_assert_cmpfloat (json_object_get_double_member (json_node_get_object (costs), "total_usd"), ==, 0);
  a = ave_plan_to_json (first);
  b = ave_plan_to_json (second);
  g_assert_true (json_node_equal (a, b));

  /* The key is in no cache file. */
  listing = ave_test_sh_output ("grep -rl '%s' '%s' || true", KEY, cache_dir);
  g_assert_cmpstr (g_strstrip (listing), ==, "");

  /* --response-cache-lifetime: an answer older than the lifetime is asked
   * for again. */
  {
    g_autoptr(AvePlan) third = NULL;

    s->response_cache_seconds = 0;
    g_usleep (1100 * 1000);
    ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
    third = run_director (s, ledger, &m, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 2);
  }
  messages_clear (&m);
}

/* --cost-aware with --llm-cheap-model: once half the budget is spent the
 * cheaper model is asked; without --cost-aware the configured one. */
static void
test_cheap_model (void)
{
  const char *prices[] = { "test-model:input_per_mtok=2", "test-model:output_per_mtok=10",
                           "cheap-model:input_per_mtok=0.1", "cheap-model:output_per_mtok=0.4", NULL };

  for (guint aware = 0; aware < 2; aware++)
    {
      g_autoptr(AveTestServer) server = ave_test_server_new ();
      g_autoptr(AveSettings) s = llm_settings (server, "/v1");
      g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (1.0);
      g_autoptr(AvePlan) plan = NULL;
      g_autoptr(AveTestRequest) request = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *answer = openai_answer (decisions, 100, 50);
      g_autofree char *body = NULL;
      guint reservation;
      Messages m;

      messages_init (&m);
      g_strfreev (s->api_prices);
      s->api_prices = g_strdupv ((char **) prices);
      s->budget_limit_usd = 1.0;
      s->cost_aware = aware;
      s->llm_cheap_model = g_strdup ("cheap-model");
      /* 60 % of the budget already spent */
      reservation = ave_cost_ledger_reserve (ledger, "chat", 0.6, &error);
      g_assert_no_error (error);
      ave_cost_ledger_settle (ledger, reservation, 0.6);

      ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
      plan = run_director (s, ledger, &m, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
      request = ave_test_server_get_request (server, 0);
      body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
      g_assert_true ((strstr (body, "cheap-model") != NULL) == (aware != 0));
      messages_clear (&m);
    }
}

/* --target-duration reaches the model: the prompt asks for about that much. */
static void
test_target_duration (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveTestRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = openai_answer (decisions, 100, 50);
  g_autofree char *body = NULL;
  Messages m;

  messages_init (&m);
  s->target_duration = 45;
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
  plan = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  request = ave_test_server_get_request (server, 0);
  body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  g_assert_nonnull (strstr (body, "Target duration: 45 s"));
  messages_clear (&m);
}

typedef struct
{
  GCancellable *cancellable;
} CancelLater;

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (300000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  GThread *thread;
  Messages m;

  messages_init (&m);
  s->api_timeout = 60;
  ave_test_server_push (server, AVE_TEST_REPLY_STALL, 0, NULL, NULL);
  thread = g_thread_new ("cancel", cancel_soon, cancellable);
  plan = run_director (s, ledger, &m, NULL, cancellable, &error);
  g_thread_join (thread);
  g_assert_null (plan);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat ((g_get_monotonic_time () - start) / 1e6, <, 1.3);
  messages_clear (&m);
}

/* No key and the public API: said clearly, the local rules plan. */
static void
test_missing_key (void)
{
  g_autoptr(AveSettings) s = ave_settings_new ();
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  Messages m;

  messages_init (&m);
  g_free (s->director);
  s->director = g_strdup ("llm");
  g_unsetenv ("AVE_LLM_API_KEY");
  g_unsetenv ("AVE_API_KEY");
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  plan = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "local");
  g_assert_cmpuint (m.warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "AVE_LLM_API_KEY and AVE_API_KEY are not set"));
  g_assert_nonnull (strstr (g_ptr_array_index (m.warnings, 0), "no desktop keyring runs here"));
  messages_clear (&m);
}

typedef struct
{
  GMutex     lock;
  GString   *text;      /* every event, as text */
  guint      costs;
} EventLog;

static void
on_job_event (const AveEvent *event, gpointer user_data)
{
  EventLog *log = user_data;

  g_mutex_lock (&log->lock);
  if (event->message != NULL)
    g_string_append_printf (log->text, "%d %s\n", event->kind, event->message);
  if (event->path != NULL)
    g_string_append_printf (log->text, "%d %s\n", event->kind, event->path);
  if (event->kind == AVE_EVENT_COST)
    {
      log->costs++;
      g_string_append_printf (log->text, "cost %s %s %s %.6f %s\n", event->cost->kind, event->cost->provider,
                              event->cost->model, event->cost->usd, ave_call_status_to_string (event->cost->status));
    }
  g_mutex_unlock (&log->lock);
}

/* A whole `process` job with --director llm: costs.json beside the other
 * outputs, the costs in the events and the metrics, the plan and
 * metadata.json from the model, and the key in no file and no event. */
static void
test_job (void)
{
  const char *sample = ave_test_ffmpeg_media ("llm-talk.mp4",
    "-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=300 -t 20 "
    "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac");
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autofree char *out = ave_test_path ("llm-job-out");
  g_autofree char *metrics = ave_test_path ("llm-job-metrics");
  g_autofree char *answer = openai_answer (decisions, 1500, 400);
  g_autofree char *costs_path = NULL;
  g_autofree char *costs_text = NULL;
  g_autofree char *plan_text = NULL;
  g_autofree char *metadata_text = NULL;
  g_autofree char *grep = NULL;
  g_autofree char *metrics_text = NULL;
  g_autoptr(AveMediaInfo) media = NULL;
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  EventLog log = { .text = g_string_new (NULL) };
  JsonObject *costs;

  media = ave_media_probe (sample, &error);
  g_assert_no_error (error);
  analysis = make_talk_for (sample, media->duration, media);
  s->mode = AVE_MODE_FAST;
  s->subtitles = AVE_SUBTITLES_NONE;
  s->thumbnail_count = 1;
  s->track_costs = TRUE;
  s->cost_alerts = TRUE;
  /* The call's worst case (4096 completion tokens at $10 per million and
   * the prompt's bytes at $2) is over half of this: reserving it crosses
   * the 50 % alert, though the call then costs $0.007. */
  s->budget_limit_usd = 0.09;
  s->metrics_output = g_strdup (metrics);
  s->performance_monitoring = TRUE;
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);

  g_mutex_init (&log.lock);
  job = ave_job_new (AVE_JOB_PROCESS, sample, out, s);
  ave_job_set_analysis (job, analysis);
  ave_job_set_event_func (job, on_job_event, &log, NULL);
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);

  costs_path = g_build_filename (out, "llm-talk", "costs.json", NULL);
  g_assert_true (g_file_get_contents (costs_path, &costs_text, NULL, NULL));
  g_assert_true (json_parser_load_from_data (parser, costs_text, -1, NULL));
  costs = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (costs, "currency"), ==, "USD");
  g_assert_cmpfloat (json_object_get_double_member (costs, "budget_usd"), ==, 0.09);
  g_assert_nonnull (strstr (log.text->str, "API costs reached 50 % of the $0.09 budget"));
  g_assert_null (strstr (log.text->str, "API costs reached 80 %"));
  g_assert_cmpfloat (json_object_get_double_member (costs, "total_usd"), ==, 1500 * 2 / 1e6 + 400 * 10 / 1e6);
  g_assert_cmpuint (log.costs, ==, 1);
  g_assert_nonnull (strstr (log.text->str, "cost chat openai test-model 0.007000 ok"));
  g_assert_nonnull (strstr (log.text->str, "costs.json"));

  g_assert_nonnull (ave_job_get_output_dir (job));
  {
    g_autofree char *plan_path = g_build_filename (ave_job_get_output_dir (job), "plan.json", NULL);
    g_assert_true (g_file_get_contents (plan_path, &plan_text, NULL, NULL));
  }
  g_assert_nonnull (strstr (plan_text, "\"origin\": \"llm\""));
  g_assert_nonnull (strstr (plan_text, "dropped: off-topic tangent"));
  {
    g_autofree char *path = g_build_filename (out, "llm-talk", "metadata.json", NULL);
    g_assert_true (g_file_get_contents (path, &metadata_text, NULL, NULL));
    g_assert_nonnull (strstr (metadata_text, "Why Speed Matters"));
  }

  /* --track-costs: the call is in the metrics too. */
  metrics_text = ave_test_sh_output ("cat '%s'/*", metrics);
  g_assert_nonnull (strstr (metrics_text, "\"cost\""));
  g_assert_nonnull (strstr (metrics_text, "test-model"));

  /* The key: in no file written, in no event. */
  grep = ave_test_sh_output ("grep -rl '%s' '%s' '%s' || true", KEY, out, metrics);
  g_assert_cmpstr (g_strstrip (grep), ==, "");
  g_assert_null (strstr (log.text->str, KEY));
  g_string_free (log.text, TRUE);
  g_mutex_clear (&log.lock);
}

/* --optimize-requests: a compact prompt, its saving said in a notice. */
static void
test_optimize_requests (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AveTestRequest) request = NULL;
  g_autofree char *answer = openai_answer (decisions, 100, 10);
  g_autofree char *body = NULL;
  const char *notice = NULL;
  guint compact = 0, full = 0;
  Messages m;

  messages_init (&m);
  s->optimize_requests = TRUE;
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL, answer);
  plan = run_director (s, ledger, &m, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ave_plan_get_director (plan), ==, "llm:openai/test-model");
  g_assert_false (plays (plan, 12.0));
  for (guint i = 0; i < m.notices->len; i++)
    if (strstr (g_ptr_array_index (m.notices, i), "--optimize-requests") != NULL)
      notice = g_ptr_array_index (m.notices, i);
  g_assert_nonnull (notice);
  g_assert_cmpint (sscanf (strstr (notice, " is "), " is %u bytes instead of %u", &compact, &full), ==, 2);
  g_test_message ("prompt: %u bytes compact, %u bytes full", compact, full);
  g_assert_cmpuint (compact, <, full * 3 / 4);
  request = ave_test_server_get_request (server, 0);
  body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  g_assert_nonnull (strstr (body, "2|4.0|6.4|so the first the first"));
  messages_clear (&m);
}

/* A model that keeps every sentence but each tenth, whatever it is sent. */
static char *
respond_by_numbers (const AveTestRequest *request, guint *status, gpointer user_data)
{
  g_autofree char *body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  GString *content = g_string_new ("{\"sentences\":[");
  const char *p = body;
  guint first = 0, n, count = 0;
  char *answer;

  while ((p = strstr (p, "[")) != NULL)
    {
      if (sscanf (p, "[%u] ", &n) == 1 && strstr (p, "] ") == p + 1 + (n >= 10) + (n >= 100) + 1)
        {
          g_string_append_printf (content, "%s{\"n\":%u,\"keep\":%s,\"reason\":\"r%u\"}", count > 0 ? "," : "",
                                  n, n % 10 == 0 ? "false" : "true", n);
          if (count++ == 0)
            first = n;
        }
      p++;
    }
  g_string_append_printf (content, "],\"chapters\":[{\"n\":%u,\"title\":\"Part %u\"}],\"title\":\"T\","
                          "\"description\":\"D\",\"tags\":[],\"thumbnail\":{\"n\":%u,\"text\":\"X\"}}", first, first, first);
  answer = openai_answer (content->str, 100, 10);
  g_string_free (content, TRUE);
  *status = 200;
  return answer;
}

static AvePlan *
plan_long_talk (AveSettings *s)
{
  g_autoptr(AveAnalysis) a = NULL;
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  g_autoptr(AveDirector) director = ave_llm_director_new (remote);
  g_autoptr(GError) error = NULL;
  AveMediaInfo info = { 0 };
  AvePlan *plan;

  info.duration = 95;
  info.has_audio = TRUE;
  a = ave_analysis_new ("long.mp4", &info);
  /* 90 one-word sentences a second apart */
  for (guint i = 0; i < 90; i++)
    {
      g_autofree char *word = g_strdup_printf ("word%u.", i + 1);
      AveInterval speech = { 1.0 + i, 1.5 + i };

      ave_analysis_add_word (a, word, speech.start, speech.end, 0.9, FALSE);
      g_array_append_val (a->speech, speech);
    }
  ave_analysis_sort (a);
  plan = ave_director_plan (director, a, s, NULL, &error);
  g_assert_no_error (error);
  return plan;
}

/* Long transcripts go in chunks of 40 sentences; --batch-api-calls groups
 * api_batch_size chunks in one request; the plan is the same either way. */
static void
test_chunked_and_batched (void)
{
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = llm_settings (server, "/v1");
  g_autoptr(AvePlan) chunked = NULL;
  g_autoptr(AvePlan) batched = NULL;

  s->cut_silence_min = 0.3;
  ave_test_server_set_responder (server, respond_by_numbers, NULL);
  chunked = plan_long_talk (s);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 3);
  g_assert_cmpstr (ave_plan_get_director (chunked), ==, "llm:openai/test-model");

  ave_test_server_reset (server);
  s->batch_api_calls = TRUE;
  s->api_batch_size = 5;
  batched = plan_long_talk (s);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);

  g_assert_cmpuint (ave_plan_get_n_segments (chunked), ==, ave_plan_get_n_segments (batched));
  for (guint i = 0; i < ave_plan_get_n_segments (chunked); i++)
    {
      const AveSegment *x = ave_plan_get_segment (chunked, i), *y = ave_plan_get_segment (batched, i);

      g_assert_cmpfloat (x->start, ==, y->start);
      g_assert_cmpfloat (x->end, ==, y->end);
      g_assert_cmpint (x->enabled, ==, y->enabled);
      g_assert_cmpstr (x->reason, ==, y->reason);
    }
  /* Sentence 40 (word40 at 40 s) is dropped, 41 kept. */
  g_assert_false (plays (chunked, 40.2));
  g_assert_true (plays (chunked, 41.2));
  /* The chunked run has a chapter per request. */
  g_assert_cmpuint (ave_plan_get_n_chapters (chunked), ==, 3);
  g_assert_cmpuint (ave_plan_get_n_chapters (batched), ==, 1);
}

/* The command line: --director llm on a generated talk, --json events
 * carry the cost, and neither stdout nor stderr ever shows the key. */
static void
test_cli (void)
{
  const char *sample = ave_test_sample ("llm-cli.mp4", 8, 320, 180);
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autofree char *out = ave_test_path ("llm-cli-out");
  g_autofree char *costs = g_build_filename (out, "llm-cli", "costs.json", NULL);
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autofree char *grep = NULL;
  int status;

  ave_test_server_set_responder (server, respond_by_numbers, NULL);
  status = ave_test_sh_status (&stdout_text, &stderr_text,
                               "'%s' process '%s' -o '%s' --director llm --llm-url %s/v1 --llm-model test-model "
                               "--api-price test-model:input_per_mtok=2,output_per_mtok=10 --budget-limit 1 "
                               "--mode fast --subtitles none --json",
                               ave_test_binary (), sample, out, ave_test_server_get_url (server));
  if (status != 0)
    g_error ("process failed (%d): %s", status, stderr_text);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), >=, 1);
  g_assert_nonnull (strstr (stdout_text, "\"event\":\"cost\""));
  g_assert_nonnull (strstr (stdout_text, "\"status\":\"ok\""));
  g_assert_true (g_file_test (costs, G_FILE_TEST_IS_REGULAR));
  g_assert_null (strstr (stdout_text, KEY));
  g_assert_null (strstr (stderr_text, KEY));
  grep = ave_test_sh_output ("grep -rl '%s' '%s' || true", KEY, out);
  g_assert_cmpstr (g_strstrip (grep), ==, "");
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  /* Before any thread starts; test_missing_key, the last, removes it. */
  g_setenv ("AVE_LLM_API_KEY", KEY, TRUE);

  g_test_add_func ("/engine/llm/plan-follows-answer", test_plan_follows_answer);
  g_test_add_func ("/engine/llm/gemini", test_gemini);
  g_test_add_func ("/engine/llm/repair-then-fallback", test_repair_then_fallback);
  g_test_add_func ("/engine/llm/provider-down", test_provider_down);
  g_test_add_func ("/engine/llm/budget", test_budget);
  g_test_add_func ("/engine/llm/cost-aware", test_cost_aware);
  g_test_add_func ("/engine/llm/cached-second-run", test_cached_second_run);
  g_test_add_func ("/engine/llm/target-duration", test_target_duration);
  g_test_add_func ("/engine/llm/cheap-model", test_cheap_model);
  g_test_add_func ("/engine/llm/cancel", test_cancel);
  g_test_add_func ("/engine/llm/optimize-requests", test_optimize_requests);
  g_test_add_func ("/engine/llm/chunked-and-batched", test_chunked_and_batched);
  g_test_add_func ("/engine/llm/job", test_job);
  g_test_add_func ("/engine/llm/cli", test_cli);
  g_test_add_func ("/engine/llm/missing-key", test_missing_key);
  return g_test_run ();
}
