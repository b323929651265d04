/* ave-transcriber.h — offline speech recognition of one utterance at a time
 * (private to the analysis area).
 *
 * Wraps one PocketSphinx decoder.  The audio analyzer hands it the
 * buffered 16 kHz audio of each speech interval; words come back with
 * times on the analysis clock.  One AveTranscriber is used from one thread
 * at a time; several may run side by side on different threads.
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"

G_BEGIN_DECLS

/* What the transcriber reports for each recognised word. */
typedef struct
{
  char    *word;        /* lower case, no "(2)" alternate suffix */
  double   start, end;  /* seconds on the analysis clock */
  double   confidence;  /* 0..1 */
  gboolean filler;
} AveTranscribedWord;

/* An array of AveTranscribedWord that frees each word's string. */
GArray     *ave_transcribed_words_new (void);

typedef struct _AveTranscriber AveTranscriber;

/* Whether the en-us model's files are installed (cheap: loading them
 * takes about a second); AVE_ANALYSIS_ERROR_MODEL_MISSING if not. */
gboolean        ave_transcriber_check_model (GError **error);
/* Loads the en-us model.  Fails with AVE_ANALYSIS_ERROR_MODEL_MISSING when
 * the model files are not installed. */
AveTranscriber *ave_transcriber_new       (const AveSettings  *settings,
                                           GError            **error);
/* Decodes `samples` (16 kHz mono) as one utterance whose first sample is
 * at `start_time` seconds, appending what was recognised to `words`. */
gboolean        ave_transcriber_decode    (AveTranscriber     *self,
                                           const gint16       *samples,
                                           gsize               n_samples,
                                           double              start_time,
                                           GArray             *words,
                                           GError            **error);
/* The name written to analysis.json's "transcriber". */
const char     *ave_transcriber_get_name  (void);
void            ave_transcriber_free      (AveTranscriber     *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveTranscriber, ave_transcriber_free)

G_END_DECLS
