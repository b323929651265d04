/* ave-local-director.h — the embedded, deterministic, offline director. */
#pragma once

#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

/* Builds a plan from the analysis:
 *  - cuts silences of at least settings->cut_silence_min, keeping
 *    settings->word_padding around words (no clipped word endings);
 *  - cuts filler words when settings->cut_fillers (educational);
 *  - snaps cut points to shot boundaries nearby and keeps shots whole where it can;
 *  - adds crossfades at shot changes when settings->transitions;
 *  - for music, cuts on beats;
 *  - adds chapters from the transcript and shots.
 * The same inputs always give the same plan. */
AvePlan *ave_local_director_plan (const AveAnalysis  *analysis,
                                  const AveSettings  *settings,
                                  GError            **error);

/* What another director (the LLM director) decided, for these rules to
 * carry out: sentences of the transcript to keep or drop, with reasons.
 * A dropped sentence is removed like a retake (from the padding after the
 * word before it to the padding before the word after it: no word is
 * clipped) and stays in the plan switched off with its reason; the rest
 * is planned as usual (silences, fillers, shot snapping, crossfades).
 * Every segment then has `origin` and, where a kept sentence lies in it,
 * that sentence's reason. */
typedef struct
{
  guint       first_word, last_word;   /* indexes in analysis->words, first <= last */
  gboolean    keep;
  const char *reason;                  /* nullable */
} AveGuideSentence;

typedef struct
{
  const AveGuideSentence *sentences;
  guint                   n_sentences;
  AveSegmentOrigin        origin;      /* of every segment */
  const char             *director;    /* the plan's "director", e.g. "llm:openai/gpt-4o-mini" */
} AveDirectorGuide;

AvePlan *ave_local_director_plan_guided (const AveAnalysis       *analysis,
                                         const AveSettings       *settings,
                                         const AveDirectorGuide  *guide,
                                         GError                 **error);

G_END_DECLS
