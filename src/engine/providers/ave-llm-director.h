/* ave-llm-director.h — a language model plans the cut (--director llm).
 *
 * The transcript goes to the model as numbered sentences with their
 * times, with the shots, silences, highlight scores, content type and
 * target duration; the model answers, in a JSON schema it is held to
 * (OpenAI-compatible `response_format`, Gemini `responseSchema`), which
 * sentences to keep or drop and why, chapters, a title, description and
 * tags, and the thumbnail's sentence and text.  The answer is validated;
 * a broken one gets one repair request.  The local director's rules then
 * carry the decisions out on word and shot boundaries
 * (ave_local_director_plan_guided), so no word is clipped and crossfades
 * still fall on shot changes.  Whenever a call is refused by the budget,
 * fails or answers nonsense twice, the local rules plan the video and a
 * warning names the provider and the cause: a provider that is down
 * never fails the job.  docs/ai.md has the prompt and the schema.
 */
#pragma once

#include "director/ave-director.h"
#include "providers/ave-remote.h"

G_BEGIN_DECLS

#define AVE_TYPE_LLM_DIRECTOR (ave_llm_director_get_type ())
G_DECLARE_FINAL_TYPE (AveLlmDirector, ave_llm_director, AVE, LLM_DIRECTOR, GObject)

/* `remote` must outlive the director (the job owns both). */
AveDirector *ave_llm_director_new (AveRemote *remote);

/* The sentences a transcript is sent as: a pause of at least 0.6 s, or a
 * word ending in . ? or !, ends one; at most 40 words each.  Pairs of
 * first and last word index (guint), for the tests. */
GArray      *ave_llm_director_split_sentences (const AveAnalysis *analysis);

G_END_DECLS
