/* ave-analysis.h — the result of audio and video analysis (analysis.json).
 *
 * A plain, reference-counted record: analysers fill it on their worker
 * thread, then it is only read (director, assets, UI).  Times are seconds
 * relative to the source's start_time.  Schema: docs/analysis-schema.md.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "media/ave-media.h"

G_BEGIN_DECLS

#define AVE_ANALYSIS_VERSION 1

/* Limits (docs/analysis-schema.md, "Limits"): analysis.json is refused
 * beyond them, and ave_analysis_save() writes within them (a list past its
 * cap is cut, with a warning in the file), so what is saved loads again. */
#define AVE_ANALYSIS_MAX_FILE_BYTES    (256u * 1024u * 1024u)
#define AVE_ANALYSIS_MAX_SECONDS       1000000.0  /* any time: about 11.5 days */
#define AVE_ANALYSIS_MAX_ITEMS         1000000    /* shots, words, beats, keyframes... per list */
#define AVE_ANALYSIS_MAX_WORD_CHARS    200
#define AVE_ANALYSIS_MAX_LANGUAGE_CHARS 35         /* a BCP 47 tag */
#define AVE_ANALYSIS_MAX_WARNINGS      1000
#define AVE_ANALYSIS_MAX_WARNING_CHARS 4096

typedef struct
{
  double start, end;
} AveInterval;

typedef enum {
  AVE_SHOT_TRANSITION_NONE,      /* first shot */
  AVE_SHOT_TRANSITION_CUT,       /* hard cut */
  AVE_SHOT_TRANSITION_DISSOLVE,  /* gradual: cross-dissolve */
  AVE_SHOT_TRANSITION_FADE,      /* gradual: fade through black (or white) */
} AveShotTransition;

typedef struct
{
  double            start, end;
  AveShotTransition transition;     /* how this shot begins */
  double            transition_duration; /* seconds, 0 for cuts */
  /* per-shot quality, each 0..1 (1 = best) unless stated */
  double            exposure;        /* 1 at well-exposed mid-grey, lower towards black or white */
  double            contrast;
  double            sharpness;
  double            motion;          /* 0 still .. 1 very busy */
  double            mean_luma;       /* 0..255 raw */
  double            quality;         /* combined score */
  double            highlight;       /* combined visual interest */
} AveShot;

typedef struct
{
  char    *word;         /* lower case, no pronunciation suffix */
  double   start, end;
  double   confidence;   /* 0..1 */
  gboolean filler;
} AveWord;

/* What a picture looks like, coarsely: the mean luma of each of 16 x 9
 * boxes over it (ave_thumbnail_signature_compute).  Two thumbnails whose
 * signatures are closer than AVE_THUMBNAIL_SIGNATURE_ALIKE show the same
 * thing (the same framing of the same scene). */
#define AVE_THUMBNAIL_SIGNATURE_W 16
#define AVE_THUMBNAIL_SIGNATURE_H 9
#define AVE_THUMBNAIL_SIGNATURE_ALIKE 6.0   /* mean |luma difference|, 0..255 */

typedef struct
{
  guint8 luma[AVE_THUMBNAIL_SIGNATURE_W * AVE_THUMBNAIL_SIGNATURE_H];
} AveThumbnailSignature;

typedef struct
{
  double time;           /* seconds */
  double score;          /* 0..1, higher is better */
  double sharpness, exposure;
  /* of the analysed picture, when the analysis kept it (older
   * analysis.json files, and very long analyses, have none: the thumbnail
   * step then decodes the picture to know) */
  gboolean              has_signature;
  AveThumbnailSignature signature;
} AveThumbnailCandidate;

typedef struct
{
  double integrated_lufs;  /* -70 when silent */
  double loudness_range;   /* LU */
  double true_peak_dbtp;
  double sample_peak_dbfs;
} AveLoudness;

typedef struct
{
  double time;
  double score;            /* 0..1 */
} AveHighlight;

/* The same words said twice, told by their sound (analysis/ave-voice-print.h):
 * all of [start, end) sounds like the beginning of the next utterance,
 * [repeat_start, repeat_end).  A full retake or a false start. */
typedef struct
{
  double start, end;
  double repeat_start, repeat_end;
  double distance;         /* of the alignment: 0 = the same sound */
} AveRepeat;

typedef struct _AveAnalysis AveAnalysis;

struct _AveAnalysis
{
  int           version;
  char         *source;            /* path as given */
  AveMediaInfo *media;             /* owned copy */

  /* video */
  GArray *shots;                   /* AveShot */
  GArray *highlights;              /* AveHighlight, sorted by time, ~1 per second */
  GArray *thumbnail_candidates;    /* AveThumbnailCandidate, best first */
  GArray *keyframes;               /* double seconds, sorted: where decoding can start */
  GArray *copy_ends;               /* double seconds, sorted: where a copy of the stream's packets
                                    * may end without a picture shown after it (B-frames);
                                    * empty when pictures are stored in display order */

  /* audio */
  AveLoudness loudness;
  GArray *silences;                /* AveInterval, sorted */
  GArray *speech;                  /* AveInterval, sorted: the complement of silences, minus noise */
  GArray *words;                   /* AveWord (clear func frees word), sorted */
  GArray *repeats;                 /* AveRepeat, sorted: earlier takes said again right after */
  GArray *beats;                   /* double seconds; empty unless beats were detected */
  double  tempo_bpm;               /* 0 when unknown */

  /* what produced it */
  char   *transcriber;             /* e.g. "pocketsphinx 5prealpha en-us", NULL if none ran */
  char   *language;                /* BCP 47 tag of the words ("en"); NULL: see ave_analysis_get_language() */
  char   *compute_backend;         /* e.g. "cpu" or "vulkan: NVIDIA H100" */
  GPtrArray *warnings;             /* char*, human-readable */
};

#define AVE_TYPE_ANALYSIS (ave_analysis_get_type ())
GType        ave_analysis_get_type   (void) G_GNUC_CONST;

AveAnalysis *ave_analysis_new        (const char *source, const AveMediaInfo *media);
AveAnalysis *ave_analysis_ref        (AveAnalysis *self);
void         ave_analysis_unref      (AveAnalysis *self);

void         ave_analysis_add_word   (AveAnalysis *self, const char *word,
                                      double start, double end,
                                      double confidence, gboolean filler);
void         ave_analysis_add_warning (AveAnalysis *self, const char *message);
/* The language of the transcript as a BCP 47 tag: `language` when a
 * recogniser reported one, else the language of the model named at the end
 * of `transcriber` ("pocketsphinx 5prealpha en-us" → "en"); NULL without
 * a transcript.  Older analysis.json files, without "language", get it
 * from their transcriber this way. */
const char  *ave_analysis_get_language (const AveAnalysis *self);
/* Sorts every array by time. */
void         ave_analysis_sort       (AveAnalysis *self);
/* For g_array_sort of AveThumbnailCandidate: best score first, then the
 * earlier time, so that the same input always gives the same order. */
int          ave_thumbnail_candidate_compare_best_first (gconstpointer a,
                                                         gconstpointer b);

/* The signature of a luma plane of any size: each box's mean luma (over
 * every pixel up to 640 wide, every n-th row and column of wider planes),
 * so that noise and compression do not matter. */
void         ave_thumbnail_signature_compute  (const guint8          *y,
                                               int                    y_stride,
                                               int                    width,
                                               int                    height,
                                               AveThumbnailSignature *out);
/* Mean |difference| of two signatures' boxes, 0..255. */
double       ave_thumbnail_signature_distance (const AveThumbnailSignature *a,
                                               const AveThumbnailSignature *b);

JsonNode    *ave_analysis_to_json    (const AveAnalysis *self);
/* Read through the engine's document reader (core/ave-json-doc.h): errors
 * (AVE_ANALYSIS_ERROR_INVALID) name the member by its path,
 * "shots[3].end: expected a number, found a string". */
AveAnalysis *ave_analysis_from_json  (JsonNode *node, GError **error);
/* Atomic write (temporary name, then rename). */
gboolean     ave_analysis_save       (const AveAnalysis *self, const char *path, GError **error);
/* The same, every error starting with `path`. */
AveAnalysis *ave_analysis_load       (const char *path, GError **error);
/* The analysis.json at `analysis_path` if it was written for `input` (the
 * same file) after `input` last changed; NULL otherwise. */
AveAnalysis *ave_analysis_load_for_input (const char *analysis_path, const char *input);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveAnalysis, ave_analysis_unref)

G_END_DECLS
