/* ave-captions.h — subtitles timed to the edited video (SRT, WebVTT) and
 * the transcript as text.
 *
 * The analysis' words are mapped through the plan's output items (the list
 * the composer renders: enabled segments, title cards, crossfade overlaps),
 * so each cue starts where its first word is heard in final.mp4.  Cues
 * follow broadcast rules; the numbers are below and in docs/captions.md.
 */
#pragma once

#include <glib.h>

#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"
#include "core/ave-settings.h"

G_BEGIN_DECLS

#define AVE_CUE_MAX_LINES        2
#define AVE_CUE_MAX_LINE_CHARS   42     /* graphemes a line */
#define AVE_CUE_MIN_SECONDS      1.0
#define AVE_CUE_MAX_SECONDS      7.0
#define AVE_CUE_MAX_CPS          20.0   /* graphemes (spaces included) a second */
#define AVE_CUE_MIN_GAP_FRAMES   2      /* a shorter gap between cues is closed */
/* A pause (source time) this long ends a sentence: recognisers give no
 * punctuation, the speaker's breath does. */
#define AVE_CUE_SENTENCE_PAUSE   0.6
/* A pause this long is a good place to break a cue (a clause). */
#define AVE_CUE_CLAUSE_PAUSE     0.25
/* A cut that removed more source time than this ends the cue before it. */
#define AVE_CUE_MAX_BRIDGED_CUT  0.5

/* One word as it plays in the output. */
typedef struct
{
  char    *text;
  double   start, end;                /* output seconds (source seconds without a plan) */
  double   source_start, source_end;
  int      item;                      /* index in ave_plan_list_output_items(); -1 without a plan */
  gboolean filler;
} AveCaptionWord;

typedef struct
{
  double  start, end;                 /* output seconds */
  char   *text;                       /* one or two lines separated by '\n' */
  guint   first_word, n_words;        /* the words it shows, in the list it was built from
                                       * (fillers among them are not shown) */
} AveCue;

/* The words the output plays, in output order (AveCaptionWord, freed with
 * the array).  A word plays when its middle lies inside an enabled
 * segment; a segment used twice plays its words twice.  Without a plan,
 * every word at its source time. */
GArray *ave_caption_words_map    (const AveAnalysis *analysis,
                                  AvePlan           *plan);

/* Cues (AveCue, freed with the array) for `words` (from
 * ave_caption_words_map); filler words are left out.  `fps` is the output
 * frame rate, for the gap rule.  `language` (BCP 47, may be NULL) guides
 * grapheme segmentation. */
GArray *ave_captions_build       (GArray            *words,
                                  double             fps,
                                  const char        *language);

/* The text of a cue list as a SubRip or WebVTT file. */
char   *ave_captions_to_srt      (GArray *cues);
char   *ave_captions_to_vtt      (GArray *cues);

/* Cue `i`'s times in whole milliseconds, as final.srt and final.vtt write
 * them (each cue ends no later than the next begins, never empty).  The
 * embedded track and the burned captions use these too. */
void    ave_captions_cue_times_ms (GArray *cues,
                                   guint   i,
                                   gint64 *start_ms,
                                   gint64 *end_ms);

/* The cue shown at output time `t` (an index into `cues`), or -1 between
 * cues: the one whose final.srt times (ave_captions_cue_times_ms) hold
 * t's millisecond, the rule the composer burns captions by.  The app's
 * preview uses it to show the cue under the playhead. */
int     ave_captions_cue_at      (GArray *cues,
                                  double  t);

/* The ISO 639-2/T code MP4 wants for a BCP 47 tag ("en-US" → "eng");
 * "und" when the language is unknown. */
const char *ave_captions_iso639_2 (const char *language);

/* The word of `cue` being said at output time `t`: the last word it shows
 * that has started (the first before it starts), as an index into `words`;
 * -1 when it shows none. */
int     ave_caption_word_at      (const AveCue *cue,
                                  GArray       *words,
                                  double        t);

/* Draws `cue` for a frame_width x frame_height picture in the caption
 * style of `settings` (caption_*: font, size, position, colours, outline,
 * box), with word `highlight` (an index into `words`, -1 for none; see
 * ave_caption_word_at) in settings->caption_highlight.  The picture is
 * straight-alpha RGBA (free *rgba with g_free) of the caption's box, which
 * lies on even pixels inside the frame at (*x, *y), *width x *height. */
gboolean ave_caption_render_rgba (const AveCue      *cue,
                                  GArray            *words,
                                  int                highlight,
                                  const AveSettings *settings,
                                  int                frame_width,
                                  int                frame_height,
                                  guint8           **rgba,
                                  int               *stride,
                                  int               *x,
                                  int               *y,
                                  int               *width,
                                  int               *height,
                                  GError           **error);

/* The transcript as plain text: one sentence a line, each prefixed by its
 * start time ("[00:01:02.300] "). */
char   *ave_captions_to_text     (GArray *words);
/* The transcript as one JSON object: language, "times" ("output" when
 * `plan_path` is given, else "source"), the plan, every word with its
 * output and source times, and the cues (docs/cli.md, `transcript`). */
char   *ave_captions_to_json     (GArray     *words,
                                  GArray     *cues,
                                  const char *language,
                                  const char *plan_path);

/* The output frame rate the captions are timed against (the source's, or
 * 25 without video). */
double  ave_captions_frame_rate  (const AveAnalysis *analysis);

G_END_DECLS
