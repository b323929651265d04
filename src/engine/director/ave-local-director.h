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

G_END_DECLS
