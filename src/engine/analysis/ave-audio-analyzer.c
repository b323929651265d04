#define G_LOG_DOMAIN "ave-audio-analyzer"

#include "config.h"

#include <math.h>
#include <string.h>
#include <gio/gio.h>
#include <ebur128.h>
#include <aubio/aubio.h>

#include "core/ave-error.h"
#include "analysis/ave-audio-analyzer.h"
#include "analysis/ave-transcriber.h"
#include "analysis/ave-voice-print.h"
#include "core/ave-monitor.h"

#define RATE            AVE_ANALYSIS_SAMPLE_RATE
#define WINDOW          160                 /* 10 ms at 16 kHz: the silence detector's unit */
#define WINDOWS_PER_S   100.0
/* A burst of sound shorter than this inside a silence (a click, a breath)
 * does not end it: speech intervals are never shorter. */
#define BLIP_WINDOWS    8
/* A click at most this far from speech is part of it: the release of a
 * final stop consonant ("transcript") follows a closure of 50–150 ms. */
#define CLOSURE_WINDOWS 15
/* Soft sounds at the edges of speech (unvoiced consonants, a fading
 * ending) often sit under the silence threshold.  A silence's edges are
 * moved inwards, by at most EDGE_WINDOWS, past windows louder than the
 * threshold minus EDGE_DB: e.g. -55 dBFS for a -40 dBFS threshold. */
#define EDGE_DB         15.0
#define EDGE_WINDOWS    25
/* Recent window energies kept for moving a silence's end (a power of 2
 * larger than EDGE_WINDOWS + BLIP_WINDOWS). */
#define HISTORY         64
/* Audio kept on each side of a speech interval when it is transcribed, so
 * that soft onsets and endings are heard. */
#define MARGIN_SAMPLES  (RATE / 10)
/* Speech running longer than this is cut at its quietest 10 ms within the
 * second half, which bounds the utterance buffer to 20 s (640 KiB). */
#define MAX_UTTERANCE_SAMPLES (20 * RATE)
/* The utterance buffer is compacted once this much at its front is no
 * longer needed, so compaction costs O(1) per sample. */
#define COMPACT_SAMPLES RATE
/* Repeats (analysis/ave-voice-print.h): an utterance is compared with the
 * next one when that starts within REPEAT_MAX_GAP; it is the same words
 * said again when the alignment's distance is at most REPEAT_MAX_DISTANCE.
 * Measured with espeak-ng at other rates and pitches: two takes of one
 * sentence 0.75–1.3, different sentences 2.9–3.7, different sentences
 * that share their first or last words 1.7–2.3.  The bound errs towards
 * missing a retake: a false one would cut what the talker meant to say. */
#define REPEAT_MAX_GAP      10.0
#define REPEAT_MAX_DISTANCE 1.5
#define REPEAT_MIN_SECONDS  0.25
/* Speech whose power above 4 kHz is this far under the whole (telephone
 * audio, or a recording band-limited like it) is reported as narrowband
 * once there are NARROWBAND_MIN_SECONDS of it: the recogniser's model is
 * wideband, and its transcript of such speech is poor (docs/performance.md,
 * "Word error rate").  Measured: microphone and synthetic speech -14 to
 * -25 dB, the same through an 8 kHz telephone band -60 dB and below. */
#define NARROWBAND_DB          -40.0
#define NARROWBAND_MIN_SECONDS 3.0
/* Loudness below this is silence (the EBU R128 absolute gate). */
#define FLOOR_DB        -70.0
/* RSS per PocketSphinx decoder: ~95 MB for the model, dictionary and
 * search, ~60 MB for the filler-friendly second search. */
#define TRANSCRIBER_BYTES (160u << 20)
/* aubio's tempo tracker at 16 kHz: 32 ms analysis window, 8 ms hop.  A
 * 16 ms hop measurably quantises the period (122 BPM for 120). */
#define TEMPO_WINDOW    512
#define TEMPO_HOP       128
/* A beat is only reported where there is sound: some 10 ms window above
 * this level (well under any music) within BEAT_SOUND_WINDOW before it. */
#define BEAT_SOUND_DB   -60.0
#define BEAT_SOUND_WINDOW 0.25
/* Runs of this many beat periods are averaged to estimate the tempo. */
#define TEMPO_RUN       8
/* The longest hole filled with silence: the analysis reader leaves out
 * sound beyond a longer jump (AVE_MEDIA_MAX_TIMESTAMP_GAP), so a chunk
 * further ahead is a caller's error, not hours of silence to analyse. */
#define MAX_GAP_FILL_S  60.0

typedef struct
{
  gint16 *samples;
  gsize   n_samples;
  double  start_time;
  /* Words are kept when their middle is in [keep_from, keep_to): pieces
   * of a long speech overlap by a margin at each cut, so that both end in
   * quiet, and each word is reported once. */
  double  keep_from, keep_to;
} Utterance;

struct _AveAudioAnalyzer
{
  AveSettings *settings;

  gboolean started;
  double   base_time;          /* pts of the first sample */
  guint64  n_samples;          /* mono samples seen, including filled gaps */

  /* loudness (EBU R128) */
  ebur128_state *ebur;
  unsigned       ebur_channels;
  unsigned long  ebur_rate;
  gboolean       ebur_from_native;

  /* 10 ms windows */
  double  window_sum;
  guint   window_fill;
  gint64  n_windows;           /* completed windows */
  double  quiet_mean_square;   /* threshold on the window's mean square */
  gint64  min_silence_windows;

  /* Segmentation, in window indices.  A "quiet region" runs from its first
   * quiet window; bursts shorter than BLIP_WINDOWS inside it are absorbed.
   * It becomes a silence once it is silence_min_duration long. */
  gint64   region_start;       /* -1 while in sound */
  gint64   region_edge;        /* region_start moved past soft sound; -1 until known */
  gint64   loud_run_start;     /* -1 unless a burst is under way inside the region */
  gboolean region_is_silence;
  double   edge_mean_square;
  double   history[HISTORY];   /* mean square of the latest windows, by index % HISTORY */
  gint64   speech_start;       /* -1 while no speech interval is open */
  GArray  *silences;           /* AveInterval */
  GArray  *speech;             /* AveInterval */

  /* The audio of the open utterance (16-bit for PocketSphinx), plus the
   * little before it that a starting utterance needs. */
  GArray  *buffer;             /* gint16 */
  guint64  buffer_start;       /* sample index of buffer[0] */
  gint64   utterance_start;    /* sample index, -1 while none is open */
  double   utterance_keep_from; /* -INFINITY unless the utterance continues a cut one */

  /* beats */
  aubio_tempo_t *tempo;
  fvec_t        *tempo_in;
  fvec_t        *tempo_out;
  guint          tempo_fill;
  guint32        dither_state;
  double         sound_mean_square;
  gint64         last_sound_window;   /* -1 before any sound */
  GArray        *beats;        /* double */

  /* Transcription runs on its own threads so that the audio thread keeps
   * decoding while an utterance is recognised. */
  gboolean     transcribe;
  GThreadPool *pool;
  GAsyncQueue *idle_transcribers;   /* AveTranscriber* not in use */
  guint        max_transcribers;
  GMutex       lock;
  GCond        cond;
  /* under lock */
  guint        n_transcribers;
  guint        pending;             /* utterances queued or being decoded */
  guint        max_pending;
  gboolean     cancelled;
  GError      *transcribe_error;
  double       transcribe_cpu;     /* CPU seconds of the transcription threads (under lock) */
  /* The first speech model loads (about a second) while decoding starts;
   * a worker joins this thread before it looks for an idle transcriber. */
  GThread     *model_loader;
  gboolean     joining_loader;
  GError      *model_error;        /* the loader's, read after the join */
  GArray      *words;               /* AveTranscribedWord */

  /* Repeats, found on the audio thread as utterances are submitted. */
  AveVoiceStats *voice_stats;
  AveVoicePrint *previous_print;    /* the last utterance's */
  GArray        *repeats;           /* AveRepeat */
};

static void
utterance_free (Utterance *utterance)
{
  g_free (utterance->samples);
  g_free (utterance);
}

static double
window_time (AveAudioAnalyzer *self,
             gint64            window)
{
  return self->base_time + (double) window / WINDOWS_PER_S;
}

static double
sample_time (AveAudioAnalyzer *self,
             guint64           sample)
{
  return self->base_time + (double) sample / RATE;
}

/* ------------------------------------------------------- transcription */

static gpointer
load_first_model (gpointer data)
{
  AveAudioAnalyzer *self = data;
  double cpu0 = ave_thread_cpu_seconds ();
  AveTranscriber *transcriber = ave_transcriber_new (self->settings, &self->model_error);

  g_mutex_lock (&self->lock);
  self->transcribe_cpu += ave_thread_cpu_seconds () - cpu0;
  g_mutex_unlock (&self->lock);
  return transcriber;
}

/* Waits for the first model; it joins the idle ones (or, when it could
 * not be loaded, its error stops the transcription). */
static void
join_model_loader (AveAudioAnalyzer *self)
{
  GThread *loader;
  AveTranscriber *transcriber;

  g_mutex_lock (&self->lock);
  while (self->joining_loader)
    g_cond_wait (&self->cond, &self->lock);
  loader = g_steal_pointer (&self->model_loader);
  self->joining_loader = loader != NULL;
  g_mutex_unlock (&self->lock);
  if (loader == NULL)
    return;

  transcriber = g_thread_join (loader);
  g_mutex_lock (&self->lock);
  if (transcriber != NULL)
    g_async_queue_push (self->idle_transcribers, transcriber);
  else
    {
      self->n_transcribers--;
      if (self->transcribe_error == NULL)
        self->transcribe_error = g_steal_pointer (&self->model_error);
    }
  self->joining_loader = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
transcribe_worker (gpointer data,
                   gpointer user_data)
{
  Utterance *utterance = data;
  AveAudioAnalyzer *self = user_data;
  g_autoptr(GArray) words = ave_transcribed_words_new ();
  g_autoptr(GError) error = NULL;
  AveTranscriber *transcriber = NULL;
  gboolean skip, create = FALSE;
  double cpu0 = ave_thread_cpu_seconds ();

  g_mutex_lock (&self->lock);
  skip = self->cancelled || self->transcribe_error != NULL;
  g_mutex_unlock (&self->lock);

  if (!skip)
    join_model_loader (self);
  g_mutex_lock (&self->lock);
  skip = self->cancelled || self->transcribe_error != NULL;
  g_mutex_unlock (&self->lock);

  if (!skip)
    {
      transcriber = g_async_queue_try_pop (self->idle_transcribers);
      if (transcriber == NULL)
        {
          /* The pool never runs more threads than max_transcribers, so
           * either a decoder may still be made or one will come back. */
          g_mutex_lock (&self->lock);
          if (self->n_transcribers < self->max_transcribers)
            {
              self->n_transcribers++;
              create = TRUE;
            }
          g_mutex_unlock (&self->lock);

          if (create)
            {
              transcriber = ave_transcriber_new (self->settings, &error);
              if (transcriber == NULL)
                {
                  g_mutex_lock (&self->lock);
                  self->n_transcribers--;
                  g_mutex_unlock (&self->lock);
                }
            }
          else
            transcriber = g_async_queue_pop (self->idle_transcribers);
        }

      if (transcriber != NULL)
        {
          ave_transcriber_decode (transcriber, utterance->samples, utterance->n_samples,
                                  utterance->start_time, words, &error);
          g_async_queue_push (self->idle_transcribers, transcriber);
        }
    }

  g_mutex_lock (&self->lock);
  self->transcribe_cpu += ave_thread_cpu_seconds () - cpu0;
  if (error != NULL && self->transcribe_error == NULL)
    self->transcribe_error = g_steal_pointer (&error);
  for (guint i = 0; i < words->len; i++)
    {
      AveTranscribedWord *w = &g_array_index (words, AveTranscribedWord, i);
      AveTranscribedWord moved = *w;
      double middle = (w->start + w->end) / 2;

      if (middle < utterance->keep_from || middle >= utterance->keep_to)
        continue;
      w->word = NULL;
      g_array_append_val (self->words, moved);
    }
  self->pending--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  utterance_free (utterance);
}

/* Compares the utterance in samples [first, last) of the buffer with the
 * one before it: is that one the beginning of this one, said again? */
static void
find_repeat (AveAudioAnalyzer *self,
             guint64           first,
             guint64           last)
{
  g_autoptr(AveVoicePrint) print = NULL;
  double distance, repeat_end;

  print = ave_voice_print_new (&g_array_index (self->buffer, gint16, first - self->buffer_start),
                               last - first, sample_time (self, first), self->quiet_mean_square,
                               REPEAT_MIN_SECONDS, self->voice_stats);
  if (print == NULL)
    return;
  if (self->previous_print != NULL &&
      ave_voice_print_get_start (print) - ave_voice_print_get_end (self->previous_print) <= REPEAT_MAX_GAP &&
      ave_voice_print_match_prefix (self->previous_print, print, self->voice_stats, &distance, &repeat_end))
    {
      g_debug ("utterance %.2f–%.2f s against the next at %.2f s: distance %.2f",
               ave_voice_print_get_start (self->previous_print), ave_voice_print_get_end (self->previous_print),
               ave_voice_print_get_start (print), distance);
      if (distance <= REPEAT_MAX_DISTANCE)
        {
          AveRepeat repeat = {
            .start = ave_voice_print_get_start (self->previous_print),
            .end = ave_voice_print_get_end (self->previous_print),
            .repeat_start = ave_voice_print_get_start (print),
            .repeat_end = repeat_end,
            .distance = distance,
          };
          g_array_append_val (self->repeats, repeat);
        }
    }
  g_clear_pointer (&self->previous_print, ave_voice_print_free);
  self->previous_print = g_steal_pointer (&print);
}

/* Hands the samples [first, last) to the transcription threads.  Blocks
 * while max_pending utterances wait, which bounds the memory they hold. */
static gboolean
submit_utterance (AveAudioAnalyzer *self,
                  guint64           first,
                  guint64           last,
                  double            keep_from,
                  double            keep_to,
                  GError          **error)
{
  Utterance *utterance;
  g_autoptr(GError) pool_error = NULL;

  if (!self->transcribe)
    return TRUE;

  first = MAX (first, self->buffer_start);
  last = MIN (last, self->buffer_start + self->buffer->len);
  if (last <= first)
    return TRUE;

  find_repeat (self, first, last);

  g_mutex_lock (&self->lock);
  while (self->pending >= self->max_pending && self->transcribe_error == NULL)
    g_cond_wait (&self->cond, &self->lock);
  if (self->transcribe_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->transcribe_error));
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  self->pending++;
  g_mutex_unlock (&self->lock);

  utterance = g_new0 (Utterance, 1);
  utterance->n_samples = last - first;
  utterance->samples = g_memdup2 (&g_array_index (self->buffer, gint16, first - self->buffer_start),
                                  utterance->n_samples * sizeof (gint16));
  utterance->start_time = sample_time (self, first);
  utterance->keep_from = keep_from;
  utterance->keep_to = keep_to;

  if (!g_thread_pool_push (self->pool, utterance, &pool_error))
    {
      utterance_free (utterance);
      g_mutex_lock (&self->lock);
      self->pending--;
      g_mutex_unlock (&self->lock);
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                   "Cannot start speech recognition: %s", pool_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Drops buffered audio that no utterance can need any more. */
static void
compact_buffer (AveAudioAnalyzer *self,
                guint64           now)
{
  guint64 keep_from;

  if (self->utterance_start >= 0)
    keep_from = self->utterance_start;
  else
    {
      /* A speech interval is recognised BLIP_WINDOWS after it starts, its
       * start may move back EDGE_WINDOWS, and it is transcribed from
       * MARGIN_SAMPLES before that. */
      guint64 lookback = MARGIN_SAMPLES + (BLIP_WINDOWS + EDGE_WINDOWS + 1) * WINDOW;
      keep_from = now > lookback ? now - lookback : 0;
    }
  if (keep_from < self->buffer_start + COMPACT_SAMPLES)
    return;
  keep_from = MIN (keep_from, self->buffer_start + self->buffer->len);
  g_array_remove_range (self->buffer, 0, keep_from - self->buffer_start);
  self->buffer_start = keep_from;
}

/* Speech that runs on without a silence is cut at its quietest 10 ms in
 * the second half of the allowed length, where a word boundary is most
 * likely.  The two pieces overlap by MARGIN_SAMPLES on each side of the
 * cut: the recogniser needs a little quiet to end an utterance. */
static gboolean
split_long_utterance (AveAudioAnalyzer *self,
                      guint64           now,
                      GError          **error)
{
  guint64 start = self->utterance_start;
  guint64 search_from = start + MAX_UTTERANCE_SAMPLES / 2;
  guint64 best = now - MARGIN_SAMPLES;
  double best_energy = G_MAXDOUBLE;

  search_from = (search_from + WINDOW - 1) / WINDOW * WINDOW;
  for (guint64 w = search_from; w + WINDOW + MARGIN_SAMPLES <= now; w += WINDOW)
    {
      const gint16 *s = &g_array_index (self->buffer, gint16, w - self->buffer_start);
      double energy = 0;

      for (guint i = 0; i < WINDOW; i++)
        energy += (double) s[i] * s[i];
      if (energy < best_energy)
        {
          best_energy = energy;
          best = w + WINDOW / 2;
        }
    }

  g_debug ("splitting %.1f s of continuous speech at %.2f s",
           (double) (now - start) / RATE, sample_time (self, best));
  if (!submit_utterance (self, start, best + MARGIN_SAMPLES,
                         self->utterance_keep_from, sample_time (self, best), error))
    return FALSE;
  self->utterance_start = best - MARGIN_SAMPLES;
  self->utterance_keep_from = sample_time (self, best);
  return TRUE;
}

/* ---------------------------------------------------------- segmentation */

static void
add_interval (GArray *array,
              double  start,
              double  end)
{
  AveInterval interval = { start, end };

  if (end > start)
    g_array_append_val (array, interval);
}

static void
open_speech (AveAudioAnalyzer *self,
             gint64            window)
{
  guint64 first = (guint64) window * WINDOW;

  self->speech_start = window;
  self->utterance_start = first > MARGIN_SAMPLES ? first - MARGIN_SAMPLES : 0;
  if ((guint64) self->utterance_start < self->buffer_start)
    self->utterance_start = self->buffer_start;
}

/* Closes the open speech interval at `end_window` and transcribes it; the
 * audio up to `available` is in the buffer. */
static gboolean
close_speech (AveAudioAnalyzer *self,
              gint64            end_window,
              double            end_time,
              guint64           available,
              GError          **error)
{
  guint64 last;

  if (self->speech_start < 0)
    return TRUE;

  add_interval (self->speech, window_time (self, self->speech_start), end_time);
  last = MIN ((guint64) end_window * WINDOW + MARGIN_SAMPLES, available);
  if (!submit_utterance (self, self->utterance_start, last,
                         self->utterance_keep_from, INFINITY, error))
    return FALSE;
  self->speech_start = -1;
  self->utterance_start = -1;
  self->utterance_keep_from = -INFINITY;
  return TRUE;
}

/* Where the silence that ends before window `end` really ends: moved back
 * over soft sound, unless there is no quieter window to stop at (then the
 * soft level is the room's noise, not speech). */
static gint64
refine_region_end (AveAudioAnalyzer *self,
                   gint64            end)
{
  gint64 limit = MAX (self->region_start, end - EDGE_WINDOWS);

  for (gint64 w = end - 1; w >= limit; w--)
    if (self->history[w % HISTORY] < self->edge_mean_square)
      return w + 1;
  return end;
}

/* Sound that starts at `sound_start` takes in a click that comes just
 * before it (an initial stop's burst, say, before the vowel). */
static gint64
attach_preceding_click (AveAudioAnalyzer *self,
                        gint64            sound_start)
{
  gint64 limit = MAX (self->region_start, sound_start - CLOSURE_WINDOWS - BLIP_WINDOWS);
  gint64 w = sound_start - 1;

  while (w >= limit && w > sound_start - 1 - CLOSURE_WINDOWS &&
         self->history[w % HISTORY] < self->quiet_mean_square)
    w--;
  if (w < limit || self->history[w % HISTORY] < self->quiet_mean_square)
    return sound_start;
  while (w - 1 >= limit && self->history[(w - 1) % HISTORY] >= self->quiet_mean_square)
    w--;
  return w;
}

/* The quiet region ends with sound at `sound_start`: it is a silence if,
 * with its edges moved past soft sound, it is long enough. */
static gboolean
end_region (AveAudioAnalyzer *self,
            gint64            sound_start,
            guint64           now,
            GError          **error)
{
  gint64 edge = self->region_edge >= 0 ? self->region_edge : self->region_start;
  gint64 end = refine_region_end (self, attach_preceding_click (self, sound_start));
  gboolean silence = self->region_is_silence ||
                     (self->region_edge >= 0 && end - edge >= self->min_silence_windows);

  if (silence)
    {
      /* Already closed when the region was confirmed, otherwise now. */
      if (!close_speech (self, edge, window_time (self, edge), now, error))
        return FALSE;
      add_interval (self->silences, window_time (self, edge), window_time (self, MAX (end, edge)));
      open_speech (self, MAX (end, edge));
    }
  else if (self->speech_start < 0)
    {
      /* Audio starting with a pause too short to be a silence: the
       * speech interval takes it in. */
      open_speech (self, self->region_start);
    }
  self->region_start = -1;
  self->region_edge = -1;
  self->loud_run_start = -1;
  return TRUE;
}

static gboolean
process_window (AveAudioAnalyzer *self,
                double            mean_square,
                GError          **error)
{
  gint64 w = self->n_windows++;
  guint64 now = (guint64) self->n_windows * WINDOW;

  self->history[w % HISTORY] = mean_square;
  if (mean_square >= self->sound_mean_square)
    self->last_sound_window = w;

  if (mean_square < self->quiet_mean_square)
    {
      if (self->region_start < 0 ||
          (self->loud_run_start >= 0 && !self->region_is_silence && self->speech_start >= 0 &&
           self->loud_run_start - self->region_start <= CLOSURE_WINDOWS))
        {
          /* A new region; or a click just after speech, which ends the
           * speech instead (see CLOSURE_WINDOWS). */
          self->region_start = w;
          self->region_edge = -1;
          self->region_is_silence = FALSE;
        }
      self->loud_run_start = -1;

      /* The region's start, moved past soft sound (see EDGE_DB). */
      if (self->region_edge < 0)
        {
          if (mean_square < self->edge_mean_square)
            self->region_edge = w;
          else if (w + 1 - self->region_start >= EDGE_WINDOWS)
            self->region_edge = self->region_start;
        }

      /* Once the region is long enough that moving its end cannot make
       * it too short, it is a silence: the speech before it is closed
       * (and transcribed) now rather than when sound comes back. */
      if (!self->region_is_silence && self->region_edge >= 0 &&
          w + 1 - self->region_edge >= self->min_silence_windows + EDGE_WINDOWS)
        {
          self->region_is_silence = TRUE;
          if (!close_speech (self, self->region_edge,
                             window_time (self, self->region_edge), now, error))
            return FALSE;
        }
    }
  else if (self->region_start >= 0)
    {
      if (self->loud_run_start < 0)
        self->loud_run_start = w;
      /* Sound long enough to be more than a click ends the region. */
      if (w + 1 - self->loud_run_start >= BLIP_WINDOWS &&
          !end_region (self, self->loud_run_start, now, error))
        return FALSE;
    }

  if (self->utterance_start >= 0 &&
      now - (guint64) self->utterance_start > MAX_UTTERANCE_SAMPLES)
    {
      if (!split_long_utterance (self, now, error))
        return FALSE;
    }
  compact_buffer (self, now);
  return TRUE;
}

/* ----------------------------------------------------------------- beats */

static void
feed_tempo (AveAudioAnalyzer *self,
            const float      *samples,
            gsize             n)
{
  for (gsize i = 0; i < n; i++)
    {
      /* aubio drops every beat that falls in a hop of digital silence,
       * which loses beats between short clicks.  Noise at -130 dBFS keeps
       * hops from being digitally silent; whether there is sound near a
       * beat is judged below on the 10 ms windows instead. */
      self->dither_state = self->dither_state * 1664525u + 1013904223u;
      self->tempo_in->data[self->tempo_fill++] =
        samples[i] + ((float) (self->dither_state >> 8) / 16777216.0f - 0.5f) * 6e-7f;
      if (self->tempo_fill < TEMPO_HOP)
        continue;
      self->tempo_fill = 0;
      aubio_tempo_do (self->tempo, self->tempo_in, self->tempo_out);
      if (self->tempo_out->data[0] != 0)
        {
          double offset = aubio_tempo_get_last_s (self->tempo);
          double t = self->base_time + offset;

          if (self->last_sound_window >= 0 &&
              (double) self->last_sound_window / WINDOWS_PER_S >= offset - BEAT_SOUND_WINDOW)
            g_array_append_val (self->beats, t);
        }
    }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double da = *(const double *) a, db = *(const double *) b;
  return (da > db) - (da < db);
}

/* aubio's own estimate moves in steps of one hop of period (about 2 BPM
 * at 120 BPM), and single beat intervals jitter by a hop.  The median of
 * the mean period over runs of TEMPO_RUN consecutive intervals is both
 * finer and robust to a missed or doubled beat. */
static double
estimate_tempo (AveAudioAnalyzer *self)
{
  GArray *beats = self->beats;
  g_autoptr(GArray) periods = g_array_new (FALSE, FALSE, sizeof (double));
  guint run = beats->len > TEMPO_RUN ? TEMPO_RUN : 1;
  double median;

  if (beats->len < 2)
    return 0.0;
  for (guint i = 0; i + run < beats->len; i++)
    {
      double period = (g_array_index (beats, double, i + run) -
                       g_array_index (beats, double, i)) / run;
      g_array_append_val (periods, period);
    }
  g_array_sort (periods, compare_doubles);
  median = g_array_index (periods, double, periods->len / 2);
  if (!(median > 0))
    return aubio_tempo_get_bpm (self->tempo);
  return 60.0 / median;
}

/* ---------------------------------------------------------- mono stream */

static gboolean
feed_mono (AveAudioAnalyzer *self,
           const float      *samples,
           gsize             n,
           GError          **error)
{
  gsize old_len = self->buffer->len;
  gsize start_window_sample = self->n_samples;

  /* Buffer first: closing or splitting an utterance may need samples up
   * to the window just completed. */
  g_array_set_size (self->buffer, old_len + n);
  {
    gint16 *out = &g_array_index (self->buffer, gint16, old_len);
    for (gsize i = 0; i < n; i++)
      {
        float s = samples ? samples[i] : 0.0f;
        out[i] = (gint16) lrintf (CLAMP (s, -1.0f, 1.0f) * 32767.0f);
      }
  }

  for (gsize i = 0; i < n; i++)
    {
      double s = samples ? samples[i] : 0.0;

      self->window_sum += s * s;
      if (++self->window_fill == WINDOW)
        {
          double mean_square = self->window_sum / WINDOW;

          self->window_sum = 0;
          self->window_fill = 0;
          self->n_samples = start_window_sample + i + 1;
          if (!process_window (self, mean_square, error))
            return FALSE;
        }
    }
  self->n_samples = start_window_sample + n;

  if (self->tempo != NULL)
    {
      if (samples != NULL)
        feed_tempo (self, samples, n);
      else
        {
          static const float zeros[TEMPO_HOP];
          for (gsize done = 0; done < n; done += TEMPO_HOP)
            feed_tempo (self, zeros, MIN (TEMPO_HOP, n - done));
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------- loudness */

static gboolean
feed_loudness (AveAudioAnalyzer    *self,
               const AveAudioChunk *chunk,
               GError             **error)
{
  gboolean native = chunk->native != NULL && chunk->n_native_frames > 0 &&
                    chunk->native_channels > 0 && chunk->native_rate > 0;
  const float *frames = native ? chunk->native : chunk->mono;
  gsize n_frames = native ? chunk->n_native_frames : chunk->n_mono;
  unsigned channels = native ? (unsigned) chunk->native_channels : 1;
  unsigned long rate = native ? (unsigned long) chunk->native_rate : RATE;

  if (frames == NULL || n_frames == 0)
    return TRUE;

  /* The first chunk decides: the source's own audio when the reader gives
   * it (loudness is defined on it), the analysis mono otherwise. */
  if (self->ebur == NULL)
    {
      self->ebur_from_native = native;
      self->ebur = ebur128_init (channels, rate,
                                 EBUR128_MODE_I | EBUR128_MODE_LRA |
                                 EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK |
                                 /* constant memory, however long the input */
                                 EBUR128_MODE_HISTOGRAM);
      if (self->ebur == NULL)
        {
          g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                       "Cannot measure loudness of %u channels at %lu Hz", channels, rate);
          return FALSE;
        }
      self->ebur_channels = channels;
      self->ebur_rate = rate;
    }
  else if (native != self->ebur_from_native)
    return TRUE;
  else if (channels != self->ebur_channels || rate != self->ebur_rate)
    {
      /* A stream that changes its layout midway (rare, but legal in
       * MPEG-TS): keep measuring in the new layout. */
      int rc = ebur128_change_parameters (self->ebur, channels, rate);
      if (rc != EBUR128_SUCCESS && rc != EBUR128_ERROR_NO_CHANGE)
        {
          g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                       "Cannot measure loudness of %u channels at %lu Hz", channels, rate);
          return FALSE;
        }
      self->ebur_channels = channels;
      self->ebur_rate = rate;
    }

  if (ebur128_add_frames_float (self->ebur, frames, n_frames) != EBUR128_SUCCESS)
    {
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                   "Loudness measurement failed");
      return FALSE;
    }
  return TRUE;
}

static double
to_db_floor (double linear)
{
  if (!(linear > 0))
    return FLOOR_DB;
  return MAX (FLOOR_DB, 20.0 * log10 (linear));
}

static void
write_loudness (AveAudioAnalyzer *self,
                AveLoudness      *out)
{
  double value, true_peak = 0, sample_peak = 0;

  out->integrated_lufs = FLOOR_DB;
  out->loudness_range = 0;
  out->true_peak_dbtp = FLOOR_DB;
  out->sample_peak_dbfs = FLOOR_DB;
  if (self->ebur == NULL)
    return;

  if (ebur128_loudness_global (self->ebur, &value) == EBUR128_SUCCESS && isfinite (value))
    out->integrated_lufs = MAX (FLOOR_DB, value);
  if (ebur128_loudness_range (self->ebur, &value) == EBUR128_SUCCESS && isfinite (value))
    out->loudness_range = MAX (0.0, value);
  for (unsigned c = 0; c < self->ebur_channels; c++)
    {
      if (ebur128_true_peak (self->ebur, c, &value) == EBUR128_SUCCESS)
        true_peak = MAX (true_peak, value);
      if (ebur128_sample_peak (self->ebur, c, &value) == EBUR128_SUCCESS)
        sample_peak = MAX (sample_peak, value);
    }
  out->true_peak_dbtp = to_db_floor (true_peak);
  out->sample_peak_dbfs = to_db_floor (sample_peak);
}

/* ------------------------------------------------------------------ API */

static guint
choose_transcriber_count (const AveSettings *settings)
{
  /* A third of the workers: the rest decode and analyse video and
   * audio.  Each decoder holds ~160 MB, so a memory budget limits them
   * too. */
  guint n = CLAMP (settings->n_workers / 3, 1, 4);

  if (settings->max_memory_bytes > 0)
    n = MIN (n, MAX (1, settings->max_memory_bytes / (4 * (guint64) TRANSCRIBER_BYTES)));
  return n;
}

AveAudioAnalyzer *
ave_audio_analyzer_new (const AveSettings   *settings,
                        const AveMediaInfo  *media,
                        GError             **error)
{
  AveAudioAnalyzer *self;

  g_return_val_if_fail (settings != NULL, NULL);

  /* A missing model is reported before any decoding starts; loading it
   * overlaps the decoding (see load_first_model()). */
  if (settings->transcribe && !ave_transcriber_check_model (error))
    return NULL;

  self = g_new0 (AveAudioAnalyzer, 1);
  self->settings = ave_settings_copy (settings);

  self->quiet_mean_square = pow (10.0, settings->silence_threshold_db / 10.0);
  self->min_silence_windows = MAX (1, (gint64) ceil (settings->silence_min_duration * WINDOWS_PER_S - 1e-9));
  self->silences = g_array_new (FALSE, FALSE, sizeof (AveInterval));
  self->speech = g_array_new (FALSE, FALSE, sizeof (AveInterval));
  self->beats = g_array_new (FALSE, FALSE, sizeof (double));
  self->buffer = g_array_new (FALSE, FALSE, sizeof (gint16));

  /* The start of the input behaves like the end of a silence: a click
   * there is not speech, and a short pause there belongs to the speech
   * that follows. */
  self->region_start = 0;
  self->region_edge = 0;
  self->region_is_silence = FALSE;
  self->loud_run_start = -1;
  self->edge_mean_square = pow (10.0, (settings->silence_threshold_db - EDGE_DB) / 10.0);
  self->speech_start = -1;
  self->utterance_start = -1;
  self->utterance_keep_from = -INFINITY;
  self->sound_mean_square = pow (10.0, BEAT_SOUND_DB / 10.0);
  self->last_sound_window = -1;

  if (settings->detect_beats)
    {
      self->tempo = new_aubio_tempo ("default", TEMPO_WINDOW, TEMPO_HOP, RATE);
      self->tempo_in = new_fvec (TEMPO_HOP);
      self->tempo_out = new_fvec (1);
      aubio_tempo_set_silence (self->tempo, -200.0);
      self->dither_state = 1;
    }

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->words = ave_transcribed_words_new ();
  self->repeats = g_array_new (FALSE, FALSE, sizeof (AveRepeat));
  self->voice_stats = ave_voice_stats_new ();
  self->transcribe = settings->transcribe;
  if (self->transcribe)
    {
      self->max_transcribers = choose_transcriber_count (settings);
      self->max_pending = 2 * self->max_transcribers;
      self->idle_transcribers = g_async_queue_new ();
      self->n_transcribers = 1;   /* the one loading */
      self->model_loader = g_thread_new ("ave-asr-model", load_first_model, self);
      self->pool = g_thread_pool_new (transcribe_worker, self, self->max_transcribers,
                                      FALSE, NULL);
    }

  g_debug ("audio analysis: silence below %.1f dBFS for %.2f s, %s, %s",
           settings->silence_threshold_db, settings->silence_min_duration,
           self->transcribe ? "transcribing" : "no transcript",
           self->tempo ? "beats" : "no beats");
  return self;
}

gboolean
ave_audio_analyzer_push (AveAudioAnalyzer    *self,
                         const AveAudioChunk *chunk,
                         GError             **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (chunk != NULL, FALSE);

  if (!self->started)
    {
      self->started = TRUE;
      self->base_time = chunk->pts;
    }
  else
    {
      /* A hole in the stream (a lost packet, a gap in a recording) is
       * silence on the analysis clock, so later times stay right. */
      double expected = sample_time (self, self->n_samples);
      if (!(chunk->pts <= expected + MAX_GAP_FILL_S))
        {
          g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                       "Audio analysis: sound at %.1f s follows sound ending at %.1f s; "
                       "a jump of more than %.0f s is a damaged timestamp",
                       chunk->pts, expected, MAX_GAP_FILL_S);
          return FALSE;
        }
      if (chunk->pts > expected + 0.02)
        {
          guint64 gap = (guint64) llround ((chunk->pts - expected) * RATE);
          g_debug ("%.3f s gap in the audio at %.3f s", (double) gap / RATE, expected);
          while (gap > 0)
            {
              gsize block = MIN (gap, (guint64) RATE);
              if (!feed_mono (self, NULL, block, error))
                return FALSE;
              gap -= block;
            }
        }
    }

  if (!feed_loudness (self, chunk, error))
    return FALSE;
  if (chunk->mono != NULL && chunk->n_mono > 0)
    return feed_mono (self, chunk->mono, chunk->n_mono, error);
  return TRUE;
}

static int
compare_transcribed_words (gconstpointer a,
                           gconstpointer b)
{
  const AveTranscribedWord *wa = a, *wb = b;
  return (wa->start > wb->start) - (wa->start < wb->start);
}

/* Waits for the transcription threads, checking for cancellation. */
static gboolean
wait_for_transcripts (AveAudioAnalyzer *self,
                      GCancellable     *cancellable,
                      GError          **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (self->pending > 0)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          self->cancelled = TRUE;
          break;
        }
      g_cond_wait_until (&self->cond, &self->lock,
                         g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND);
    }
  g_mutex_unlock (&self->lock);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  if (self->transcribe_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->transcribe_error));
      ok = FALSE;
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
ave_audio_analyzer_finish (AveAudioAnalyzer *self,
                           AveAnalysis      *into,
                           GCancellable     *cancellable,
                           GError          **error)
{
  double end_time;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (into != NULL, FALSE);

  /* The last, partial window counts like a whole one. */
  if (self->window_fill > 0)
    {
      double mean_square = self->window_sum / self->window_fill;
      self->window_fill = 0;
      self->window_sum = 0;
      if (!process_window (self, mean_square, error))
        return FALSE;
    }
  end_time = sample_time (self, self->n_samples);

  if (self->region_start >= 0 && self->speech_start < 0 && !self->region_is_silence)
    {
      /* Input with no speech at all is one silence, however short. */
      add_interval (self->silences, window_time (self, self->region_start), end_time);
    }
  else if (self->region_start >= 0)
    {
      /* A silence running to the end (a trailing click is part of it),
       * or a pause too short to be one, which stays in the speech. */
      gint64 edge = self->region_edge >= 0 ? self->region_edge : self->region_start;

      if (self->region_is_silence ||
          (self->region_edge >= 0 && end_time - window_time (self, edge) >=
                                     self->min_silence_windows / WINDOWS_PER_S - 1e-9))
        {
          if (!close_speech (self, edge, window_time (self, edge), self->n_samples, error))
            return FALSE;
          add_interval (self->silences, window_time (self, edge), end_time);
        }
      else if (!close_speech (self, self->n_windows, end_time, self->n_samples, error))
        return FALSE;
    }
  else if (!close_speech (self, self->n_windows, end_time, self->n_samples, error))
    return FALSE;

  if (self->transcribe && !wait_for_transcripts (self, cancellable, error))
    return FALSE;

  write_loudness (self, &into->loudness);
  g_array_append_vals (into->silences, self->silences->data, self->silences->len);
  g_array_append_vals (into->speech, self->speech->data, self->speech->len);
  g_array_append_vals (into->repeats, self->repeats->data, self->repeats->len);

  if (self->tempo != NULL)
    {
      g_array_append_vals (into->beats, self->beats->data, self->beats->len);
      into->tempo_bpm = estimate_tempo (self);
    }

  if (self->transcribe)
    {
      g_mutex_lock (&self->lock);
      g_array_sort (self->words, compare_transcribed_words);
      for (guint i = 0; i < self->words->len; i++)
        {
          const AveTranscribedWord *w = &g_array_index (self->words, AveTranscribedWord, i);
          ave_analysis_add_word (into, w->word, w->start, w->end, w->confidence,
                                 ave_settings_is_filler_word (self->settings, w->word));
        }
      g_mutex_unlock (&self->lock);
      g_free (into->transcriber);
      into->transcriber = g_strdup (ave_transcriber_get_name ());

      g_debug ("speech above 4 kHz: %.1f dB over %.1f s", ave_voice_stats_get_high_band_db (self->voice_stats),
               ave_voice_stats_get_seconds (self->voice_stats));
      if (ave_voice_stats_get_seconds (self->voice_stats) >= NARROWBAND_MIN_SECONDS &&
          ave_voice_stats_get_high_band_db (self->voice_stats) < NARROWBAND_DB)
        {
          g_autofree char *warning =
            g_strdup_printf ("The speech is narrowband (telephone-like: its sound above 4 kHz is %.0f dB under the whole), "
                             "so the transcript will have many wrong words; a recording made with a microphone, "
                             "or a remote speech recogniser, will do better",
                             ave_voice_stats_get_high_band_db (self->voice_stats));
          ave_analysis_add_warning (into, warning);
        }
    }

  g_debug ("audio analysis: %u silences, %u speech intervals, %u words, %u beats",
           self->silences->len, self->speech->len, self->words->len, self->beats->len);
  return TRUE;
}

void
ave_audio_analyzer_free (AveAudioAnalyzer *self)
{
  AveTranscriber *transcriber;

  if (self == NULL)
    return;

  if (self->pool != NULL)
    {
      /* Queued utterances are skipped; running ones finish. */
      g_mutex_lock (&self->lock);
      self->cancelled = TRUE;
      g_mutex_unlock (&self->lock);
      g_thread_pool_free (self->pool, FALSE, TRUE);
    }
  if (self->idle_transcribers != NULL)
    join_model_loader (self);
  g_clear_error (&self->model_error);
  if (self->idle_transcribers != NULL)
    {
      while ((transcriber = g_async_queue_try_pop (self->idle_transcribers)) != NULL)
        ave_transcriber_free (transcriber);
      g_async_queue_unref (self->idle_transcribers);
    }

  if (self->ebur != NULL)
    ebur128_destroy (&self->ebur);
  if (self->tempo != NULL)
    {
      del_aubio_tempo (self->tempo);
      del_fvec (self->tempo_in);
      del_fvec (self->tempo_out);
    }
  g_array_unref (self->silences);
  g_array_unref (self->speech);
  g_array_unref (self->beats);
  g_array_unref (self->buffer);
  g_array_unref (self->words);
  g_clear_pointer (&self->repeats, g_array_unref);
  g_clear_pointer (&self->previous_print, ave_voice_print_free);
  g_clear_pointer (&self->voice_stats, ave_voice_stats_free);
  g_clear_error (&self->transcribe_error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  ave_settings_free (self->settings);
  g_free (self);
}

double
ave_audio_analyzer_get_worker_cpu_seconds (AveAudioAnalyzer *self)
{
  double cpu;

  g_mutex_lock (&self->lock);
  cpu = self->transcribe_cpu;
  g_mutex_unlock (&self->lock);
  return cpu;
}
