#define G_LOG_DOMAIN "ave-video-analyzer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ave-error.h"
#include "core/ave-monitor.h"
#include "core/ave-worker-pool.h"
#include "analysis/ave-video-analyzer.h"
#include "analysis/ave-shot-detector.h"

/* Frames are analysed in batches so a GPU backend gets enough work per
 * submission (it may split a batch to fit its memory limit). */
#define BATCH_FRAMES 12
/* Recent per-frame statistics kept to compare a frame with the ones a few
 * records back (flashes, dissolves); the records themselves hold no pixels. */
#define STATS_RING 64
/* The span over which slow (gradual) changes are measured. */
#define LONG_SPAN_SECONDS 0.4
/* Thumbnails avoid the start and end of a shot, where a transition or a
 * half-finished movement is likely. */
#define THUMBNAIL_MARGIN 0.3
#define THUMBNAILS_PER_SHOT 3
#define HIGHLIGHT_WINDOW 1.0
/* The most decoders of key intervals at once: each holds a decoder's
 * reference pictures at the source's size (tens of MB at 1080p), and a
 * third of the key intervals hold a cut on a talk cut every 6 s. */
#define MAX_KEY_DECODERS 4
/* The longest stretch decoded again to place a cut or to look between
 * two key pictures: twice the longest key interval decoded alone (the
 * last key picture may stand for the rest of the file); longer means
 * damaged timestamps.  The pictures held at once are the stretch's at the
 * source's frame rate, and a few more. */
#define REFINE_MAX_SECONDS (2.0 * AVE_VIDEO_ANALYSIS_MAX_KEY_INTERVAL)
/* With key pictures only, two in a row whose cut score reaches this share
 * of the detector's lowest cut score have the references between them
 * decoded and analysed (a cut, a flash, a fast pan): the score between
 * pictures a key interval apart is at least that of the cut itself. */
#define KEY_CANDIDATE_SHARE 0.5
/* ... unless the change is no bigger than the ones between the key
 * pictures before and after, and the colours stay much the same: movement
 * or noise going on through a shot (each of its steps as large between
 * reference pictures, which the detector's local threshold rejects).
 * Both neighbours must be as busy: cuts in two key intervals in a row
 * (short shots) are all looked into. */
#define KEY_BUSY_RATIO 1.2
#define KEY_BUSY_MAX_HIST 0.3
/* The signatures kept of the pictures analysed, for the thumbnail
 * candidates' (152 bytes each, 16 MiB at most: all of them for about two
 * hours of reference pictures at 30 frames a second, half an hour when
 * every picture of a 60 fps video is analysed); past that the thumbnail
 * step decodes the candidates to compare them. */
#define MAX_SIGNATURES ((16u << 20) / sizeof (PictureSignature))

/* What a pushed picture looks like (its record has the same pts). */
typedef struct
{
  double                pts;
  AveThumbnailSignature signature;
} PictureSignature;

/* Orders signatures by time (g_array_sort, g_array_binary_search). */
static int
compare_signature_pts (gconstpointer a,
                       gconstpointer b)
{
  double pa = ((const PictureSignature *) a)->pts, pb = ((const PictureSignature *) b)->pts;

  return (pa > pb) - (pa < pb);
}

struct _AveVideoAnalyzer
{
  double       shot_threshold;
  AveCompute  *compute;
  /* which pictures are pushed: with reference or key pictures, cuts
   * between two of them are put on their frame by decoding the pictures
   * between (refine_key_intervals, refine_cuts) */
  AveAnalysisFrames frames;
  char        *source;           /* NULL: nothing to decode cuts from */
  double       frame_interval;   /* the source's, seconds; 0 when unknown */
  guint        n_workers;        /* threads that may decode key intervals at once */
  int          key_nice;         /* their nice value; G_MININT: the caller's, on shared threads */
  /* with key pictures only: the key intervals to decode, sent in groups
   * to a pool while the reading pass goes on (queue_key_intervals) */
  gboolean     key_refine;
  guint        key_next;         /* the next interval to decide: between records key_next - 1 and key_next */
  struct KeyGroup *key_group;    /* being gathered */
  GPtrArray   *key_groups;       /* KeyGroup, all sent */
  GThreadPool *key_pool;
  GPtrArray   *key_sources;      /* AveMediaSource, idle decoders of the pool */
  GMutex       key_lock;         /* for key_sources */
  gint         key_cancelled;    /* atomic: the analyzer is being freed */

  /* the analysis size, and the compute backend's analysis at that size:
   * it holds the frames of the current batch (up to BATCH_FRAMES) and the
   * last frame of the batch before, on the device with --enable-gpu */
  int          width, height;
  AveComputeAnalysis *analysis;
  double       batch_pts[BATCH_FRAMES];
  double       batch_duration[BATCH_FRAMES];
  guint        n_batch;

  AveFrameStats *ring;
  guint        ring_pos;         /* where the next stats go */
  guint        ring_len;         /* consecutive valid entries, <= STATS_RING */
  guint        long_span;        /* records; 0 until the frame interval is known */
  /* the frame before the first one pushed, for the comparisons two back
   * (a stretch decoded again that follows another: reference_records) */
  AveFrameStats before_first;
  gboolean     has_before_first;

  GArray      *records;          /* AveFrameRecord */
  GArray      *signatures;       /* PictureSignature, at most MAX_SIGNATURES */
};

static void queue_key_intervals (AveVideoAnalyzer *self,
                                 gboolean          at_end);
static void key_group_free      (struct KeyGroup  *group);

/* ------------------------------------------------------------- buffers */

static void
reset_buffers (AveVideoAnalyzer *self,
               int               w,
               int               h)
{
  /* a new size breaks the chain of comparisons: the next frame has no
   * previous frame and nothing in the ring to compare with */
  g_clear_pointer (&self->analysis, ave_compute_analysis_free);
  self->analysis = ave_compute_analysis_new (self->compute, w, h);
  self->width = w;
  self->height = h;
  self->n_batch = 0;
  self->ring_len = 0;
  if (self->has_before_first)
    {
      self->ring[self->ring_pos] = self->before_first;
      self->ring_pos = (self->ring_pos + 1) % STATS_RING;
      self->ring_len = 1;
      self->has_before_first = FALSE;
    }
}

/* ------------------------------------------------------------- records */

static double
chroma_spread (const guint32 *hist)
{
  guint64 n = 0;
  double sum = 0.0;

  for (guint b = 0; b < AVE_CHROMA_BINS; b++)
    {
      double centre = b * (256.0 / AVE_CHROMA_BINS) + (128.0 / AVE_CHROMA_BINS);

      n += hist[b];
      sum += hist[b] * fabs (centre - 128.0);
    }
  return n > 0 ? sum / (double) n : 0.0;
}

static const AveFrameStats *
ring_back (AveVideoAnalyzer *self,
           guint             back)
{
  /* back = 1 is the most recent entry */
  if (back == 0 || back > self->ring_len)
    return NULL;
  return &self->ring[(self->ring_pos + STATS_RING - back) % STATS_RING];
}

static void
add_record (AveVideoAnalyzer    *self,
            const AveFrameStats *stats,
            double               pts,
            double               duration)
{
  AveFrameMeasures m;
  AveFrameRecord record = { 0 };
  const AveFrameStats *back;

  ave_frame_stats_derive (stats, &m);

  record.pts = pts;
  record.duration = duration;
  record.has_prev = stats->has_prev;
  record.mean_luma = (float) m.mean_luma;
  record.contrast = (float) m.contrast;
  record.sharpness = (float) m.sharpness;
  record.colourfulness = (float) ((chroma_spread (stats->hist_u) + chroma_spread (stats->hist_v)) / 2.0);
  record.diff_prev = (float) m.diff_prev;
  record.motion = (float) m.motion;
  record.hist_skip = -1.0f;
  record.hist_long = -1.0f;

  if (stats->has_prev && (back = ring_back (self, 1)) != NULL)
    record.hist_prev = (float) ave_frame_stats_hist_distance (stats, back);
  if ((back = ring_back (self, 2)) != NULL)
    record.hist_skip = (float) ave_frame_stats_hist_distance (stats, back);
  if ((back = ring_back (self, self->long_span)) != NULL)
    record.hist_long = (float) ave_frame_stats_hist_distance (stats, back);

  self->ring[self->ring_pos] = *stats;
  self->ring_pos = (self->ring_pos + 1) % STATS_RING;
  self->ring_len = MIN (self->ring_len + 1, STATS_RING);

  g_array_append_val (self->records, record);
}

static gboolean
flush_batch (AveVideoAnalyzer  *self,
             GError           **error)
{
  AveFrameStats stats[BATCH_FRAMES];

  if (self->n_batch == 0)
    return TRUE;

  if (self->long_span == 0)
    {
      /* Only a single frame so far: its span does not matter yet.  The
       * mean over the batch: reference pictures only come 1, 2 or more
       * frames apart. */
      double interval = self->n_batch >= 2 ? (self->batch_pts[self->n_batch - 1] - self->batch_pts[0])
                                             / (self->n_batch - 1)
                                           : self->batch_duration[0];

      if (interval > 0.0)
        self->long_span = (guint) CLAMP (lround (LONG_SPAN_SECONDS / interval), 2, STATS_RING - 1);
      else
        self->long_span = 10;
    }

  g_assert (ave_compute_analysis_get_n_pending (self->analysis) == self->n_batch);
  if (!ave_compute_analysis_flush (self->analysis, stats, error))
    return FALSE;

  for (guint i = 0; i < self->n_batch; i++)
    add_record (self, &stats[i], self->batch_pts[i], self->batch_duration[i]);
  self->n_batch = 0;
  queue_key_intervals (self, FALSE);
  return TRUE;
}

/* ---------------------------------------------------------------- API */

AveAnalysisFrames
ave_video_analysis_frames_for (const AveSettings  *settings,
                               const AveMediaInfo *media,
                               char              **why)
{
  AveAnalysisFrames frames;
  char *reason;

  g_return_val_if_fail (settings != NULL, AVE_ANALYSIS_FRAMES_ALL);

  frames = ave_settings_analysis_frames (settings);
  if (frames != AVE_ANALYSIS_FRAMES_KEY)
    reason = g_strdup (frames == AVE_ANALYSIS_FRAMES_ALL ? "every picture (the quality asks for all)"
                                                         : "reference pictures (the quality's choice)");
  else if (media == NULL || media->key_interval <= 0.0)
    {
      frames = AVE_ANALYSIS_FRAMES_REFERENCE;
      reason = g_strdup ("reference pictures, not key pictures only: how far apart the key pictures are is unknown");
    }
  else if (media->key_interval > AVE_VIDEO_ANALYSIS_MAX_KEY_INTERVAL)
    {
      frames = AVE_ANALYSIS_FRAMES_REFERENCE;
      reason = g_strdup_printf ("reference pictures, not key pictures only: key pictures up to %.1f s apart "
                                "(more than %.0f s)", media->key_interval, AVE_VIDEO_ANALYSIS_MAX_KEY_INTERVAL);
    }
  else
    reason = g_strdup_printf ("key pictures only: at most %.2f s apart", media->key_interval);

  if (why != NULL)
    *why = reason;
  else
    g_free (reason);
  return frames;
}

static AveVideoAnalyzer *
analyzer_new (double      shot_threshold,
              AveCompute *compute)
{
  AveVideoAnalyzer *self = g_new0 (AveVideoAnalyzer, 1);

  self->shot_threshold = shot_threshold;
  self->compute = g_object_ref (compute);
  self->ring = g_new0 (AveFrameStats, STATS_RING);
  self->records = g_array_new (FALSE, TRUE, sizeof (AveFrameRecord));
  self->signatures = g_array_new (FALSE, FALSE, sizeof (PictureSignature));
  self->n_workers = 1;
  self->key_nice = G_MININT;
  self->key_next = 1;
  self->key_groups = g_ptr_array_new_with_free_func ((GDestroyNotify) key_group_free);
  self->key_sources = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_media_source_free);
  g_mutex_init (&self->key_lock);
  return self;
}

AveVideoAnalyzer *
ave_video_analyzer_new (const AveSettings  *settings,
                        const AveMediaInfo *media,
                        AveCompute         *compute)
{
  AveVideoAnalyzer *self;

  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (AVE_IS_COMPUTE (compute), NULL);

  self = analyzer_new (CLAMP (settings->shot_threshold, 0.0, 1.0), compute);
  self->frames = ave_video_analysis_frames_for (settings, media, NULL);
  self->n_workers = CLAMP (settings->n_workers, 1u, MAX_KEY_DECODERS);
  if (media != NULL)
    {
      self->source = g_strdup (media->path);
      if (media->frame_rate > 0.0)
        self->frame_interval = 1.0 / media->frame_rate;
    }

  self->key_refine = self->frames == AVE_ANALYSIS_FRAMES_KEY && self->source != NULL &&
                     self->frame_interval > 0.0;

  /* Knowing the frame rate up front gives the same span however the
   * first frames are timed; otherwise the first batch decides (always
   * with reference or key pictures only: how many frames apart they come
   * depends on the stream). */
  if (media != NULL && media->frame_rate > 0.0 && self->frames == AVE_ANALYSIS_FRAMES_ALL)
    {
      double interval = MAX (1u, settings->frame_step) / media->frame_rate;

      self->long_span = (guint) CLAMP (lround (LONG_SPAN_SECONDS / interval), 2, STATS_RING - 1);
    }

  return self;
}

void
ave_video_analyzer_set_decoders (AveVideoAnalyzer *self,
                                 guint             n)
{
  g_return_if_fail (self != NULL);

  self->n_workers = CLAMP (n, 1u, MAX_KEY_DECODERS);
}

void
ave_video_analyzer_set_nice_increment (AveVideoAnalyzer *self,
                                       int               increment)
{
  g_return_if_fail (self != NULL);

  self->key_nice = increment > 0 ? ave_thread_get_nice () + increment : G_MININT;
}

/* On a thread of the analyser's own (key intervals, cuts): runs it below
 * the caller when asked to (ave_video_analyzer_set_nice_increment). */
static void
lower_below_caller (AveVideoAnalyzer *self)
{
  if (self->key_nice != G_MININT)
    ave_thread_lower_priority_to (self->key_nice);
}

gboolean
ave_video_analyzer_push (AveVideoAnalyzer       *self,
                         const AveAnalysisFrame *frame,
                         GError                **error)
{
  /* Odd sizes are cropped to even ones: the reader's chroma planes are
   * width/2 x height/2, so an odd last column has no chroma of its own. */
  int w, h;
  AveYuvFrame picture;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  w = (frame->scaled_width > 0 ? frame->scaled_width : frame->width) & ~1;
  h = (frame->scaled_height > 0 ? frame->scaled_height : frame->height) & ~1;
  if (w < 2 || h < 2 || frame->y == NULL || frame->u == NULL || frame->v == NULL)
    {
      g_set_error (error, AVE_ANALYSIS_ERROR, AVE_ANALYSIS_ERROR_FAILED,
                   "Video analysis received an unusable %dx%d frame at %.3f s",
                   frame->width, frame->height, frame->pts);
      return FALSE;
    }

  if (w != self->width || h != self->height)
    {
      if (!flush_batch (self, error))
        return FALSE;
      if (self->width != 0)
        g_debug ("analysis frame size changed from %dx%d to %dx%d at %.3f s",
                 self->width, self->height, w, h, frame->pts);
      reset_buffers (self, w, h);
    }

  /* A picture at its decoded size is scaled by the compute backend (vector
   * CPU kernels, or on the GPU with --enable-gpu, where it stays for the
   * analysis); one the reader scaled already is taken as it is, its odd
   * last row or column left out.  The planes are only read. */
  picture = (AveYuvFrame) {
    .y = (guint8 *) frame->y, .y_stride = frame->y_stride,
    .u = (guint8 *) frame->u, .v = (guint8 *) frame->v, .uv_stride = frame->uv_stride,
  };
  if (frame->scaled_width > 0 && frame->scaled_height > 0 &&
      (frame->width != frame->scaled_width || frame->height != frame->scaled_height))
    {
      picture.width = frame->width;
      picture.height = frame->height;
    }
  else
    {
      picture.width = w;
      picture.height = h;
    }
  if (!ave_compute_analysis_add (self->analysis, &picture, error))
    return FALSE;
  if (self->signatures->len < MAX_SIGNATURES)
    {
      PictureSignature sig = { .pts = frame->pts };

      ave_thumbnail_signature_compute (frame->y, frame->y_stride, picture.width, picture.height,
                                       &sig.signature);
      g_array_append_val (self->signatures, sig);
    }
  self->batch_pts[self->n_batch] = frame->pts;
  self->batch_duration[self->n_batch] = frame->duration > 0.0 ? frame->duration : 0.0;
  self->n_batch++;

  if (self->n_batch == BATCH_FRAMES)
    return flush_batch (self, error);
  return TRUE;
}

/* ------------------------------------------------------------- scoring */

/* 1 for a mean luma of 110..140 (mid-grey in limited range), falling
 * linearly to 0 at video black (16) and white (235). */
static double
exposure_score (double mean_luma)
{
  if (mean_luma < 110.0)
    return CLAMP ((mean_luma - 16.0) / (110.0 - 16.0), 0.0, 1.0);
  if (mean_luma > 140.0)
    return CLAMP ((235.0 - mean_luma) / (235.0 - 140.0), 0.0, 1.0);
  return 1.0;
}

/* A luma standard deviation of 64 (a full-range, well-spread picture)
 * counts as full contrast. */
static double
contrast_score (double stddev)
{
  return CLAMP (stddev / 64.0, 0.0, 1.0);
}

/* Laplacian variance spans decades between a soft and a crisp picture, so
 * it is scored on a log scale: ~10 (very soft) -> 0.25, ~1000 -> 0.75. */
static double
sharpness_score (double lap_variance)
{
  return CLAMP (log10 (1.0 + MAX (lap_variance, 0.0)) / 4.0, 0.0, 1.0);
}

/* Saturating: a block mean that moves by ~6 levels per frame is busy. */
static double
motion_score (double motion)
{
  return 1.0 - exp (-MAX (motion, 0.0) / 6.0);
}

static double
colour_score (double spread)
{
  return CLAMP (spread / 40.0, 0.0, 1.0);
}

static double
frame_quality (const AveFrameRecord *r)
{
  return 0.35 * exposure_score (r->mean_luma) +
         0.25 * contrast_score (r->contrast) +
         0.40 * sharpness_score (r->sharpness);
}

/* Visual interest of a frame: movement, contrast, colour and how much the
 * picture changed over the last fraction of a second (novelty). */
static double
frame_interest (const AveFrameRecord *r)
{
  double novelty = r->hist_long >= 0.0f ? CLAMP (2.0 * r->hist_long, 0.0, 1.0) : 0.0;

  return 0.30 * motion_score (r->motion) +
         0.25 * contrast_score (r->contrast) +
         0.25 * colour_score (r->colourfulness) +
         0.20 * novelty;
}

static double
thumbnail_score (const AveFrameRecord *r)
{
  double score = 0.45 * sharpness_score (r->sharpness) +
                 0.35 * exposure_score (r->mean_luma) +
                 0.20 * contrast_score (r->contrast) -
                 0.15 * motion_score (r->motion);

  return CLAMP (score, 0.0, 1.0);
}

/* ------------------------------------------------------- cut refinement */

/* The pictures from `from` up to `to` (presentation times, inclusive),
 * decoded again at the analysis size; FALSE when they cannot be had as
 * one short run starting with `from` and ending with `to`. */
static gboolean
decode_run (AveMediaSource *source,
            double          from,
            double          to,
            double          tolerance,
            GPtrArray      *pictures,
            GError        **error)
{
  /* tolerance is half a frame: the pictures of the stretch, and a few */
  guint max_pictures = (guint) ceil ((to - from) / (2.0 * tolerance)) + 4;

  if (to - from > REFINE_MAX_SECONDS)
    return FALSE;
  if (!ave_media_source_seek (source, from, error))
    return FALSE;
  while (pictures->len < max_pictures)
    {
      AvePicture *picture = ave_media_source_read_picture (source, error);

      if (picture == NULL)
        break;
      if (picture->pts > to + tolerance)
        {
          ave_picture_free (picture);
          break;
        }
      g_ptr_array_add (pictures, picture);
    }
  if (pictures->len < 3)
    return FALSE;
  return fabs (((AvePicture *) pictures->pdata[0])->pts - from) <= tolerance
         && fabs (((AvePicture *) pictures->pdata[pictures->len - 1])->pts - to) <= tolerance;
}

/* The first picture of the new shot among pictures[1..]: the one that
 * differs most from the picture before it, by the cut score the detector
 * used between the two reference pictures around them. */
static guint
strongest_change (AveCompute  *compute,
                  GPtrArray   *pictures,
                  GError     **error)
{
  g_autofree AveYuvFrame *frames = g_new0 (AveYuvFrame, pictures->len);
  g_autofree AveFrameStats *stats = g_new0 (AveFrameStats, pictures->len);
  double best_score = -1.0;
  guint best = 0;

  for (guint j = 0; j < pictures->len; j++)
    {
      const AvePicture *p = pictures->pdata[j];

      frames[j] = (AveYuvFrame) {
        .width = p->width & ~1, .height = p->height & ~1,
        .y = (guint8 *) p->y, .y_stride = p->y_stride,
        .u = (guint8 *) p->u, .v = (guint8 *) p->v, .uv_stride = p->uv_stride,
      };
    }
  if (!ave_compute_analyze_frames (compute, NULL, frames, pictures->len, stats, error))
    return 0;
  for (guint j = 1; j < pictures->len; j++)
    {
      AveFrameMeasures m;
      AveFrameRecord r = { .has_prev = TRUE };
      double score;

      ave_frame_stats_derive (&stats[j], &m);
      r.diff_prev = (float) m.diff_prev;
      r.hist_prev = (float) ave_frame_stats_hist_distance (&stats[j], &stats[j - 1]);
      score = _ave_shot_cut_score (&r);
      if (score > best_score)
        {
          best_score = score;
          best = j;
        }
    }
  return best;
}

/* A cut to put on its frame (refine_cuts): the records around it, and
 * what became of it. */
typedef struct
{
  guint    boundary;        /* its index among the boundaries */
  double   before, after;   /* the pts of records i - 1 and i */
  double   start;           /* out: the time of the new shot's first frame */
  gboolean refined;         /* out: the pictures between were compared */
  gboolean moved;           /* out: onto a picture before record i's */
  guint    n_pictures;      /* out: how many were decoded */
} CutToPlace;

typedef struct
{
  AveVideoAnalyzer *self;
  CutToPlace       *cuts;
  guint             n_cuts;
  gint              next;   /* atomic: the next cut to take */
} PlaceCuts;

static void
place_cut (AveVideoAnalyzer *self,
           AveMediaSource   *source,
           CutToPlace       *cut)
{
  g_autoptr(GPtrArray) pictures = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_picture_free);
  g_autoptr(GError) error = NULL;
  guint first;

  if (!decode_run (source, cut->before, cut->after, 0.5 * self->frame_interval, pictures, &error))
    {
      g_debug ("cut at %.3f s stays on its picture: %s", cut->after,
               error != NULL ? error->message : "the pictures between did not decode as expected");
      return;
    }
  first = strongest_change (self->compute, pictures, &error);
  if (first == 0)
    {
      g_debug ("cut at %.3f s stays on its picture: %s", cut->after,
               error != NULL ? error->message : "no picture to compare");
      return;
    }
  cut->start = ((AvePicture *) pictures->pdata[first])->pts;
  cut->refined = TRUE;
  cut->moved = first + 1 < pictures->len;
  cut->n_pictures = pictures->len;
}

/* Takes cuts until none is left, with a decoder of its own. */
static gpointer
place_cuts (gpointer data)
{
  PlaceCuts *work = data;
  AveVideoAnalyzer *self = work->self;
  AveMediaSourceOptions options = {
    .want_video = TRUE, .video_width = self->width, .video_height = self->height,
    .decoder_threads = 1,
  };
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(GError) error = NULL;

  for (;;)
    {
      gint k = g_atomic_int_add (&work->next, 1);

      if (k >= (gint) work->n_cuts)
        break;
      if (source == NULL && (source = ave_media_source_open (self->source, &options, &error)) == NULL)
        {
          g_debug ("cuts stay on the pictures analysed: %s", error->message);
          break;
        }
      place_cut (self, source, &work->cuts[k]);
    }
  return NULL;
}

/* The helpers' threads run below the caller when the key intervals'
 * decoders do (the speech recogniser goes first). */
static gpointer
place_cuts_below (gpointer data)
{
  lower_below_caller (((PlaceCuts *) data)->self);
  return place_cuts (data);
}

/* With reference pictures only (or --frame-step), a cut found at record i
 * lies somewhere after record i - 1: on record i itself when the new shot
 * starts with a reference picture (what x264 and most cameras do at a
 * change of scene), else on one of the pictures not decoded between the
 * two.  Those few are decoded now (from the keyframe before, references
 * only up to there: ave_media_source_seek) and the cut put on its frame.
 * Each cut is decoded on its own, so the cuts are shared among up to
 * n_workers threads (at most MAX_KEY_DECODERS decoders), the caller's
 * one of them.  starts[b] receives the time of boundary b's first frame;
 * a cut that cannot be decoded again keeps record i's time. */
static void
refine_cuts (AveVideoAnalyzer      *self,
             const AveFrameRecord  *records,
             const AveShotBoundary *boundaries,
             guint                  n_boundaries,
             double                *starts)
{
  g_autofree CutToPlace *cuts = g_new0 (CutToPlace, MAX (n_boundaries, 1));
  g_autoptr(GPtrArray) helpers = g_ptr_array_new ();
  PlaceCuts work = { .self = self, .cuts = cuts };
  guint n_refined = 0, n_moved = 0, n_threads;
  /* A record's duration is how long it stands for, up to the next one:
   * the source's own frame interval tells whether frames lie between. */
  double frame = self->frame_interval;

  for (guint b = 0; b < n_boundaries; b++)
    {
      const AveShotBoundary *bd = &boundaries[b];
      const AveFrameRecord *before, *after;

      starts[b] = records[bd->index].pts;
      if (bd->transition != AVE_SHOT_TRANSITION_CUT || bd->index == 0 || self->source == NULL)
        continue;
      before = &records[bd->index - 1];
      after = &records[bd->index];
      if (frame <= 0.0 || after->pts - before->pts < 1.5 * frame)
        continue;
      cuts[work.n_cuts++] = (CutToPlace) { .boundary = b, .before = before->pts, .after = after->pts };
    }
  if (work.n_cuts == 0)
    return;

  n_threads = MIN (work.n_cuts, CLAMP (self->n_workers, 1u, MAX_KEY_DECODERS));
  for (guint t = 1; t < n_threads; t++)
    {
      g_autoptr(GError) error = NULL;
      GThread *helper = g_thread_try_new ("ave-cuts", place_cuts_below, &work, &error);

      if (helper == NULL)
        {
          g_debug ("cuts placed on fewer threads: %s", error->message);
          break;
        }
      g_ptr_array_add (helpers, helper);
    }
  place_cuts (&work);
  for (guint t = 0; t < helpers->len; t++)
    g_thread_join (helpers->pdata[t]);

  for (guint k = 0; k < work.n_cuts; k++)
    {
      const CutToPlace *cut = &cuts[k];

      if (!cut->refined)
        continue;
      starts[cut->boundary] = cut->start;
      n_refined++;
      if (cut->moved)
        {
          n_moved++;
          g_debug ("cut at %.3f s is on the picture at %.3f s (%u decoded again)",
                   cut->after, cut->start, cut->n_pictures);
        }
    }
  g_debug ("%u cuts between undecoded pictures placed on their frames, %u of them earlier "
           "(on up to %u threads)", n_refined, n_moved, helpers->len + 1);
}

/* The records of the reference pictures from `from` to `to` (presentation
 * times, inclusive; to < 0: up to the end of the stream), each analysed
 * against the one before as the main pass does; NULL when they cannot be
 * had as one run starting with `from` (and ending with `to`). */
static GArray *
reference_records (AveVideoAnalyzer    *self,
                   AveMediaSource      *refs,
                   double               from,
                   double               to,
                   const AveFrameStats *before_from,
                   AveFrameStats       *before_to,
                   guint               *long_span,
                   GArray             **signatures,
                   GError             **error)
{
  g_autoptr(AveVideoAnalyzer) sub = analyzer_new (self->shot_threshold, self->compute);
  double tolerance = 0.5 * self->frame_interval;
  double limit = to >= 0.0 ? to : from + REFINE_MAX_SECONDS;
  guint max_pictures = (guint) ceil ((limit - from) / self->frame_interval) + 4;
  double first_pts = 0.0, last_pts = 0.0;
  guint n = 0;

  if (before_from != NULL)
    {
      sub->before_first = *before_from;
      sub->has_before_first = TRUE;
    }
  if (limit - from > REFINE_MAX_SECONDS || !ave_media_source_seek (refs, from, error))
    return NULL;
  while (n < max_pictures)
    {
      AvePicture *picture = ave_media_source_read_picture (refs, error);
      AveAnalysisFrame frame;
      gboolean pushed;

      if (picture == NULL)
        {
          if (error != NULL && *error != NULL)
            return NULL;
          break;
        }
      if (picture->pts > limit + tolerance)
        {
          ave_picture_free (picture);
          break;
        }
      frame = (AveAnalysisFrame) {
        .index = n, .pts = picture->pts,
        .width = picture->width, .height = picture->height,
        .y = picture->y, .y_stride = picture->y_stride,
        .u = picture->u, .v = picture->v, .uv_stride = picture->uv_stride,
      };
      pushed = ave_video_analyzer_push (sub, &frame, error);
      if (n++ == 0)
        first_pts = picture->pts;
      last_pts = picture->pts;
      ave_picture_free (picture);
      if (!pushed)
        return NULL;
      /* the key picture that ends the stretch: no need to decode the
       * pictures after it to see that they are past it */
      if (to >= 0.0 && last_pts >= to - tolerance)
        break;
    }
  if (!flush_batch (sub, error))
    return NULL;
  if (n < 2 || fabs (first_pts - from) > tolerance || (to >= 0.0 && fabs (last_pts - to) > tolerance))
    return NULL;
  *long_span = sub->long_span;
  /* the picture before the last */
  *before_to = *ring_back (sub, 2);
  *signatures = g_array_ref (sub->signatures);
  return g_array_ref (sub->records);
}

/* Whether the key pictures i - 1 and i differ enough for a cut between
 * them to be looked for (KEY_CANDIDATE_SHARE, KEY_BUSY_RATIO). */
static gboolean
key_interval_is_candidate (const AveFrameRecord *records,
                           guint                 n,
                           guint                 i,
                           double                floor_score)
{
  double score = _ave_shot_cut_score (&records[i]);

  if (score < KEY_CANDIDATE_SHARE * floor_score)
    return FALSE;
  if (i < 2 || i + 1 >= n || records[i].hist_prev > KEY_BUSY_MAX_HIST)
    return TRUE;
  return score > KEY_BUSY_RATIO * MIN (_ave_shot_cut_score (&records[i - 1]),
                                       _ave_shot_cut_score (&records[i + 1]));
}

/* With key pictures only, a cut lies anywhere between the two key
 * pictures around it; so may several (a shot shorter than the key
 * interval), and a fast pan changes the picture as much in that time.
 * Where two key pictures in a row differ enough to hold a cut, the
 * reference pictures between them are decoded (from the first, as the
 * decoder must) and their records put between the two: the detector then
 * sees that stretch as the reference-picture analysis does, finds each
 * cut in it and no cut in a pan (whose steps are small), and refine_cuts
 * puts each cut on its frame.  So are the pictures after the last key
 * picture, which no key picture follows.  Elsewhere the records stay a
 * key interval apart. */
/* One key interval looked into: the records of its reference pictures
 * (reference_records), decoded by whichever worker took its group. */
typedef struct
{
  guint         index;       /* the interval: between records index - 1 and index */
  double        from, to;    /* its key pictures; to < 0: to the end of the video */
  double        score, diff, hist;   /* between the two, for the log */
  GArray       *run;         /* NULL: did not decode */
  GArray       *signatures;  /* PictureSignature of run's pictures */
  guint         span;
  AveFrameStats before_key;  /* the picture before the key picture ending it */
  char         *why;         /* why run is NULL, for the log */
} KeyIntervalRun;

/* Consecutive candidate key intervals: decoded in order by one worker
 * (each stretch's first comparisons need the picture before its key
 * picture, from the stretch before); groups are independent. */
typedef struct KeyGroup
{
  AveVideoAnalyzer *self;
  GArray           *runs;    /* KeyIntervalRun */
  AveMediaSourceOptions options;
} KeyGroup;

static void
key_group_free (struct KeyGroup *group)
{
  for (guint k = 0; k < group->runs->len; k++)
    {
      KeyIntervalRun *r = &g_array_index (group->runs, KeyIntervalRun, k);

      g_clear_pointer (&r->run, g_array_unref);
      g_clear_pointer (&r->signatures, g_array_unref);
      g_clear_pointer (&r->why, g_free);
    }
  g_array_unref (group->runs);
  g_free (group);
}

/* The decoders of the key intervals' stretches, kept open between groups
 * (opening one reads the file's index). */
static AveMediaSource *
take_refs (AveVideoAnalyzer            *self,
           const AveMediaSourceOptions *options,
           GError                     **error)
{
  AveMediaSource *refs;

  g_mutex_lock (&self->key_lock);
  refs = self->key_sources->len > 0 ? g_ptr_array_steal_index_fast (self->key_sources, self->key_sources->len - 1)
                                    : NULL;
  g_mutex_unlock (&self->key_lock);
  return refs != NULL ? refs : ave_media_source_open (self->source, options, error);
}

static void
give_back_refs (AveVideoAnalyzer *self,
                AveMediaSource   *refs)
{
  g_mutex_lock (&self->key_lock);
  g_ptr_array_add (self->key_sources, refs);
  g_mutex_unlock (&self->key_lock);
}

static void
decode_key_group (gpointer data,
                  gpointer user_data)
{
  KeyGroup *group = data;
  AveVideoAnalyzer *self = group->self;
  g_autoptr(GError) open_error = NULL;
  AveMediaSource *refs = NULL;

  (void) user_data;
  if (!g_atomic_int_get (&self->key_cancelled))
    refs = take_refs (self, &group->options, &open_error);
  for (guint k = 0; k < group->runs->len; k++)
    {
      KeyIntervalRun *r = &g_array_index (group->runs, KeyIntervalRun, k);
      const KeyIntervalRun *prev = k > 0 ? &g_array_index (group->runs, KeyIntervalRun, k - 1) : NULL;
      g_autoptr(GError) error = NULL;

      if (refs == NULL)
        {
          r->why = g_strdup (open_error != NULL ? open_error->message : "the analysis was stopped");
          continue;
        }
      if (g_atomic_int_get (&self->key_cancelled))
        {
          r->why = g_strdup ("the analysis was stopped");
          continue;
        }
      g_debug ("key interval %.3f..%.3f s: score %.3f, diff %.1f, hist %.3f",
               r->from, r->to >= 0.0 ? r->to : r->from, r->score, r->diff, r->hist);
      /* after a stretch decoded again, the first picture after the key
       * picture compares with the one before it, as the detector's flash
       * test needs */
      r->run = reference_records (self, refs, r->from, r->to,
                                  prev != NULL && prev->run != NULL ? &prev->before_key : NULL,
                                  &r->before_key, &r->span, &r->signatures, &error);
      if (r->run == NULL)
        r->why = g_strdup (error != NULL ? error->message : "they did not decode as one run");
    }
  if (refs != NULL)
    give_back_refs (self, refs);
}

/* The pool's function when its threads run below the caller: they are
 * the pool's own (an exclusive pool), since a thread's priority cannot be
 * raised again for the next user of a shared one. */
static void
decode_key_group_below (gpointer data,
                        gpointer user_data)
{
  lower_below_caller (((KeyGroup *) data)->self);
  decode_key_group (data, user_data);
}

static void
send_key_group (AveVideoAnalyzer *self)
{
  KeyGroup *group = g_steal_pointer (&self->key_group);
  g_autoptr(GError) error = NULL;

  if (group == NULL)
    return;
  g_ptr_array_add (self->key_groups, group);
  if (self->key_pool == NULL)
    {
      /* one decoder fewer than the workers while the reading pass goes
       * on: the sound's analysis needs a core meanwhile */
      gboolean below = self->key_nice != G_MININT;

      self->key_pool = g_thread_pool_new (below ? decode_key_group_below : decode_key_group, NULL,
                                          (gint) MAX (1u, self->n_workers - 1), below, &error);
      if (self->key_pool == NULL)
        g_debug ("key intervals decoded on the analysis thread: %s", error->message);
    }
  if (self->key_pool == NULL || !g_thread_pool_push (self->key_pool, group, NULL))
    decode_key_group (group, NULL);
}

/* With key pictures only, decides for each key interval as soon as the
 * records around it are in whether a cut may lie in it
 * (key_interval_is_candidate: the interval's two key pictures and one on
 * each side), and sends each run of candidate intervals to be decoded
 * while the reading pass goes on.  at_end: the records are all in, and
 * the interval after the last key picture is decided too. */
static void
queue_key_intervals (AveVideoAnalyzer *self,
                     gboolean          at_end)
{
  const AveFrameRecord *records = (const AveFrameRecord *) self->records->data;
  guint n = self->records->len;
  double floor_score = _ave_shot_cut_floor (self->shot_threshold);

  if (!self->key_refine || n == 0)
    return;
  while (at_end ? self->key_next <= n : self->key_next + 1 < n)
    {
      guint i = self->key_next++;
      gboolean tail = i == n;
      gboolean candidate = tail ? records[n - 1].duration >= 1.5 * self->frame_interval
                                : key_interval_is_candidate (records, n, i, floor_score);

      if (!candidate)
        {
          send_key_group (self);
          continue;
        }
      if (self->key_group == NULL)
        {
          self->key_group = g_new0 (KeyGroup, 1);
          self->key_group->self = self;
          self->key_group->runs = g_array_new (FALSE, TRUE, sizeof (KeyIntervalRun));
          self->key_group->options = (AveMediaSourceOptions) {
            .want_video = TRUE, .video_width = self->width, .video_height = self->height,
            .decoder_threads = 1, .reference_frames_only = TRUE, .fast_decode = TRUE,
          };
        }
      {
        KeyIntervalRun r = {
          .index = i, .from = records[i - 1].pts, .to = tail ? -1.0 : records[i].pts,
          .score = tail ? 0.0 : _ave_shot_cut_score (&records[i]),
          .diff = tail ? 0.0 : records[i].diff_prev, .hist = tail ? 0.0 : records[i].hist_prev,
        };

        g_array_append_val (self->key_group->runs, r);
      }
    }
  if (at_end)
    send_key_group (self);
}

/* Waits for the key intervals sent to be decoded (all of the workers now:
 * the reading pass is over). */
static void
wait_key_intervals (AveVideoAnalyzer *self)
{
  if (self->key_pool != NULL)
    {
      g_thread_pool_set_max_threads (self->key_pool, (gint) self->n_workers, NULL);
      g_thread_pool_free (g_steal_pointer (&self->key_pool), FALSE, TRUE);
    }
  g_clear_pointer (&self->key_sources, g_ptr_array_unref);
}

/* With key pictures only, a cut lies anywhere between the two key
 * pictures around it; so may several (a shot shorter than the key
 * interval), and a fast pan changes the picture as much in that time.
 * Where two key pictures in a row differ enough to hold a cut, the
 * reference pictures between them are decoded (from the first, as the
 * decoder must; queue_key_intervals, while the reading pass goes on) and
 * their records put between the two: the detector then sees that
 * stretch as the reference-picture analysis does, finds each cut in it
 * and no cut in a pan (whose steps are small), and refine_cuts puts each
 * cut on its frame.  So are the pictures after the last key picture,
 * which no key picture follows.  Elsewhere the records stay a key
 * interval apart. */
static void
refine_key_intervals (AveVideoAnalyzer *self)
{
  const AveFrameRecord *records;
  guint n = self->records->len;
  g_autofree KeyIntervalRun **runs = NULL;
  g_autoptr(GArray) merged = NULL;
  g_autoptr(GArray) refined = NULL;   /* gboolean per merged record: compared with a close one */
  gboolean before_refined = FALSE;
  guint n_looked = 0, n_seen = 0, n_pictures = 0, dense_span = 0;
  gint64 wait0 = g_get_monotonic_time ();
  double video_end;

  if (!self->key_refine || n == 0)
    return;
  queue_key_intervals (self, TRUE);
  wait_key_intervals (self);
  records = (const AveFrameRecord *) self->records->data;
  video_end = records[n - 1].pts + records[n - 1].duration;
  g_assert (self->key_next == n + 1);

  runs = g_new0 (KeyIntervalRun *, n + 1);
  for (guint g = 0; g < self->key_groups->len; g++)
    {
      KeyGroup *group = self->key_groups->pdata[g];

      for (guint k = 0; k < group->runs->len; k++)
        {
          KeyIntervalRun *r = &g_array_index (group->runs, KeyIntervalRun, k);

          runs[r->index] = r;
        }
    }

  merged = g_array_sized_new (FALSE, TRUE, sizeof (AveFrameRecord), n);
  refined = g_array_sized_new (FALSE, TRUE, sizeof (gboolean), n);
  for (guint i = 1; i <= n; i++)
    {
      gboolean tail = i == n;
      const AveFrameRecord *before = &records[i - 1];
      const KeyIntervalRun *run = runs[i];
      const AveFrameRecord *r;
      guint m;

      g_array_append_val (merged, *before);
      /* A key picture whose interval was not looked into was judged to
       * follow no cut there (key_interval_is_candidate).  Beside a
       * stretch decoded again, whose small steps lower the detector's
       * local median, its key interval's worth of change in a busy shot
       * would otherwise read as a cut. */
      if (i >= 2 && runs[i - 1] == NULL)
        g_array_index (merged, AveFrameRecord, merged->len - 1).no_cut = TRUE;
      g_array_append_val (refined, before_refined);
      before_refined = FALSE;
      if (run == NULL)
        continue;
      n_looked++;
      if (run->run == NULL)
        {
          g_debug ("the pictures after the key picture at %.3f s stay unseen: %s", before->pts,
                   run->why != NULL ? run->why : "not decoded");
          continue;
        }
      r = (const AveFrameRecord *) run->run->data;
      m = run->run->len;
      /* the first (and, but at the end, the last) is the key picture
       * analysed already; the one after compares with the last reference */
      g_array_append_vals (merged, &r[1], tail ? m - 1 : m - 2);
      for (guint k = 1; k < (tail ? m : m - 1); k++)
        {
          gboolean yes = TRUE;

          g_array_append_val (refined, yes);
        }
      n_pictures += tail ? m - 1 : m - 2;
      n_seen++;
      /* the inner pictures' (the key pictures' are in already) */
      for (guint k = 0; k < run->signatures->len; k++)
        {
          const PictureSignature *sig = &g_array_index (run->signatures, PictureSignature, k);

          if (self->signatures->len < MAX_SIGNATURES && sig->pts > r[0].pts &&
              (tail || sig->pts < r[m - 1].pts))
            g_array_append_val (self->signatures, *sig);
        }
      dense_span = MAX (dense_span, run->span);
      if (!tail)
        {
          AveFrameRecord key = records[i];

          key.has_prev = r[m - 1].has_prev;
          key.diff_prev = r[m - 1].diff_prev;
          key.motion = r[m - 1].motion;
          key.hist_prev = r[m - 1].hist_prev;
          key.hist_skip = r[m - 1].hist_skip;
          key.hist_long = r[m - 1].hist_long;
          /* stands in for records[i], appended as `before` next round */
          ((AveFrameRecord *) records)[i] = key;
          before_refined = TRUE;
        }
    }

  /* Dissolves show as a run of change over LONG_SPAN_SECONDS, counted in
   * records: only the refined stretches have records that close, and the
   * detector counts in theirs; a key picture compares with one seconds
   * back, which is no measure of it. */
  for (guint k = 0; k < merged->len; k++)
    if (!g_array_index (refined, gboolean, k))
      g_array_index (merged, AveFrameRecord, k).hist_long = -1.0f;
  if (dense_span > 0)
    self->long_span = dense_span;

  /* each record stands for the time up to the next; the last up to the
   * end the key pictures reached */
  for (guint k = 0; k + 1 < merged->len; k++)
    {
      AveFrameRecord *r = &g_array_index (merged, AveFrameRecord, k);
      double gap = (r + 1)->pts - r->pts;

      if (gap > 0.0)
        r->duration = gap;
    }
  {
    AveFrameRecord *last = &g_array_index (merged, AveFrameRecord, merged->len - 1);

    last->duration = MAX (last->duration, video_end - last->pts);
  }

  g_debug ("key pictures: %u of %u key intervals looked into (%u decoded, %u reference pictures, "
           "in %u groups on up to %u threads; %.1f s waited for after the reading pass)",
           n_looked, n, n_seen, n_pictures, self->key_groups->len, self->n_workers,
           (g_get_monotonic_time () - wait0) / 1e6);
  g_array_unref (self->records);
  self->records = g_steal_pointer (&merged);
}

/* ---------------------------------------------------------------- finish */

typedef struct
{
  guint first, last;        /* records of the shot, inclusive */
  guint body_first, body_last; /* the same without transition records */
} ShotSpan;

static void
fill_shot (AveShot              *shot,
           const AveFrameRecord *records,
           const ShotSpan       *span)
{
  double exposure = 0, contrast = 0, sharpness = 0, motion = 0, luma = 0, quality = 0, interest = 0;
  guint n = 0, n_motion = 0;

  for (guint i = span->body_first; i <= span->body_last; i++)
    {
      const AveFrameRecord *r = &records[i];

      exposure += exposure_score (r->mean_luma);
      contrast += contrast_score (r->contrast);
      sharpness += sharpness_score (r->sharpness);
      luma += r->mean_luma;
      quality += frame_quality (r);
      interest += frame_interest (r);
      n++;
      /* the first frame of a shot is compared with the previous shot:
       * that difference is the cut, not movement */
      if (r->has_prev && i > span->first)
        {
          motion += motion_score (r->motion);
          n_motion++;
        }
    }

  shot->exposure = exposure / n;
  shot->contrast = contrast / n;
  shot->sharpness = sharpness / n;
  shot->motion = n_motion > 0 ? motion / n_motion : 0.0;
  shot->mean_luma = luma / n;
  shot->quality = CLAMP (quality / n, 0.0, 1.0);
  shot->highlight = interest / n;   /* normalised over the video later */
}

static gboolean
in_transition (const AveShotBoundary *boundaries,
               guint                  n_boundaries,
               guint                  index)
{
  for (guint b = 0; b < n_boundaries; b++)
    if (boundaries[b].transition != AVE_SHOT_TRANSITION_CUT &&
        index >= boundaries[b].first && index <= boundaries[b].last)
      return TRUE;
  return FALSE;
}

/* The candidate for the picture of record r, with that picture's
 * signature when it was kept (signatures: sorted by pts). */
static AveThumbnailCandidate
thumbnail_candidate (const AveFrameRecord *r,
                     double                score,
                     GArray               *signatures)
{
  AveThumbnailCandidate candidate = {
    .time = r->pts,
    .score = score,
    .sharpness = sharpness_score (r->sharpness),
    .exposure = exposure_score (r->mean_luma),
  };
  PictureSignature key = { .pts = r->pts };
  guint at;

  if (g_array_binary_search (signatures, &key, compare_signature_pts, &at))
    {
      candidate.has_signature = TRUE;
      candidate.signature = g_array_index (signatures, PictureSignature, at).signature;
    }
  return candidate;
}

static void
add_thumbnail_candidates (GArray               *out,
                          GArray               *signatures,
                          const AveFrameRecord *records,
                          const AveShotBoundary *boundaries,
                          guint                 n_boundaries,
                          const AveShot         *shot,
                          const ShotSpan        *span)
{
  double chosen[THUMBNAILS_PER_SHOT];
  guint n_chosen = 0;
  /* candidates of one shot should show different moments */
  double spacing = MAX (0.5, (shot->end - shot->start) / 4.0);

  while (n_chosen < THUMBNAILS_PER_SHOT)
    {
      double best_score = -1.0;
      guint best = G_MAXUINT;

      for (guint i = span->first; i <= span->last; i++)
        {
          const AveFrameRecord *r = &records[i];
          double score;
          gboolean too_close = FALSE;

          if (r->pts < shot->start + THUMBNAIL_MARGIN ||
              r->pts + r->duration > shot->end - THUMBNAIL_MARGIN ||
              in_transition (boundaries, n_boundaries, i))
            continue;
          for (guint c = 0; c < n_chosen; c++)
            if (fabs (r->pts - chosen[c]) < spacing)
              too_close = TRUE;
          if (too_close)
            continue;

          score = thumbnail_score (r);
          if (score > best_score)
            {
              best_score = score;
              best = i;
            }
        }

      if (best == G_MAXUINT)
        break;

      {
        AveThumbnailCandidate candidate = thumbnail_candidate (&records[best], best_score, signatures);

        g_array_append_val (out, candidate);
        chosen[n_chosen++] = records[best].pts;
      }
    }
}


typedef struct
{
  gint64 window;
  double interest;
} WindowSample;

static int
compare_window_samples (gconstpointer a,
                        gconstpointer b)
{
  const WindowSample *x = a, *y = b;

  return (x->window > y->window) - (x->window < y->window);
}

/* One highlight per HIGHLIGHT_WINDOW that holds frames.  Memory follows
 * the frames seen, never the time they span: a damaged timestamp can make
 * that span months long. */
static void
add_highlights (GArray               *out,
                const AveFrameRecord *records,
                guint                 n_records,
                double                start,
                double                end)
{
  g_autoptr(GArray) samples = g_array_sized_new (FALSE, FALSE, sizeof (WindowSample), n_records);
  double last_window = MAX (0.0, ceil ((end - start) / HIGHLIGHT_WINDOW - 1e-9) - 1.0);
  double best = 0.0;

  /* a double holds every window index exactly up to 2^53 */
  last_window = MIN (last_window, 9007199254740992.0);
  for (guint i = 0; i < n_records; i++)
    {
      double offset = records[i].pts - start;
      WindowSample sample;

      sample.window = offset <= 0.0 ? 0 : (gint64) MIN (floor (offset / HIGHLIGHT_WINDOW), last_window);
      sample.interest = frame_interest (&records[i]);
      g_array_append_val (samples, sample);
    }
  g_array_sort (samples, compare_window_samples);

  /* sums per window, in place: the first entry of each run */
  {
    guint n_windows = 0;
    g_autofree guint *count = g_new0 (guint, MAX (samples->len, 1));
    WindowSample *s = (WindowSample *) samples->data;

    for (guint i = 0; i < samples->len; i++)
      {
        if (n_windows > 0 && s[n_windows - 1].window == s[i].window)
          s[n_windows - 1].interest += s[i].interest;
        else
          s[n_windows++] = s[i];
        count[n_windows - 1]++;
      }

    for (guint w = 0; w < n_windows; w++)
      best = MAX (best, s[w].interest / count[w]);

    for (guint w = 0; w < n_windows; w++)
      {
        AveHighlight highlight;
        double window_start = start + (double) s[w].window * HIGHLIGHT_WINDOW;
        double window_end = MIN (end, window_start + HIGHLIGHT_WINDOW);

        highlight.time = (window_start + window_end) / 2.0;
        highlight.score = best > 0.0 ? CLAMP ((s[w].interest / count[w]) / best, 0.0, 1.0) : 0.0;
        g_array_append_val (out, highlight);
      }
  }
}

gboolean
ave_video_analyzer_finish (AveVideoAnalyzer  *self,
                           AveAnalysis       *into,
                           GError           **error)
{
  const AveFrameRecord *records;
  const AveShotBoundary *boundaries;
  g_autoptr(GArray) found = NULL;
  g_autoptr(GArray) shots = NULL;
  g_autoptr(GArray) candidates = NULL;
  g_autofree ShotSpan *spans = NULL;
  g_autofree double *starts = NULL;
  guint n, n_shots;
  double video_start, video_end, best_highlight = 0.0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (into != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!flush_batch (self, error))
    return FALSE;
  /* its buffers go back before the cuts are refined */
  g_clear_pointer (&self->analysis, ave_compute_analysis_free);

  refine_key_intervals (self);
  n = self->records->len;
  if (n == 0)
    return TRUE;
  records = (const AveFrameRecord *) self->records->data;

  found = _ave_shot_detect (records, n, self->long_span, self->shot_threshold);
  boundaries = (const AveShotBoundary *) found->data;
  n_shots = found->len + 1;
  starts = g_new0 (double, MAX (found->len, 1));
  refine_cuts (self, records, boundaries, found->len, starts);

  video_start = MIN (records[0].pts, 0.0);
  video_end = records[n - 1].pts + records[n - 1].duration;
  if (video_end <= video_start)
    video_end = video_start + 1e-3;

  spans = g_new0 (ShotSpan, n_shots);
  shots = g_array_sized_new (FALSE, TRUE, sizeof (AveShot), n_shots);
  for (guint s = 0; s < n_shots; s++)
    {
      const AveShotBoundary *begin = s > 0 ? &boundaries[s - 1] : NULL;
      const AveShotBoundary *end = s + 1 < n_shots ? &boundaries[s] : NULL;
      ShotSpan *span = &spans[s];
      AveShot shot = { 0 };

      span->first = begin ? begin->index : 0;
      span->last = end ? end->index - 1 : n - 1;
      /* leave the transition frames out of the shot's own measures, unless
       * that would leave nothing */
      span->body_first = span->first;
      span->body_last = span->last;
      if (begin && begin->transition != AVE_SHOT_TRANSITION_CUT && begin->last + 1 <= span->last)
        span->body_first = MAX (span->first, begin->last + 1);
      if (end && end->transition != AVE_SHOT_TRANSITION_CUT && end->first >= span->body_first + 1)
        span->body_last = MIN (span->last, end->first - 1);
      if (span->body_first > span->body_last)
        {
          span->body_first = span->first;
          span->body_last = span->last;
        }

      shot.start = begin ? starts[s - 1] : video_start;
      shot.end = end ? starts[s] : video_end;
      shot.transition = begin ? begin->transition : AVE_SHOT_TRANSITION_NONE;
      if (begin && begin->transition != AVE_SHOT_TRANSITION_CUT)
        shot.transition_duration = records[begin->last].pts + records[begin->last].duration -
                                   records[begin->first].pts;
      fill_shot (&shot, records, span);
      best_highlight = MAX (best_highlight, shot.highlight);
      g_array_append_val (shots, shot);
    }

  /* highlight is relative: the most interesting shot of this video is 1 */
  for (guint s = 0; s < n_shots; s++)
    {
      AveShot *shot = &g_array_index (shots, AveShot, s);

      shot->highlight = best_highlight > 0.0 ? CLAMP (shot->highlight / best_highlight, 0.0, 1.0) : 0.0;
    }

  /* (pushed in display order, the key intervals' after the rest) */
  g_array_sort (self->signatures, compare_signature_pts);
  candidates = g_array_new (FALSE, TRUE, sizeof (AveThumbnailCandidate));
  for (guint s = 0; s < n_shots; s++)
    add_thumbnail_candidates (candidates, self->signatures, records, boundaries, found->len,
                              &g_array_index (shots, AveShot, s), &spans[s]);
  if (candidates->len == 0)
    {
      /* every shot is shorter than its margins: still offer the best frame */
      double best_score = -1.0;
      guint best = 0;

      for (guint i = 0; i < n; i++)
        if (thumbnail_score (&records[i]) > best_score &&
            !in_transition (boundaries, found->len, i))
          {
            best_score = thumbnail_score (&records[i]);
            best = i;
          }
      if (best_score >= 0.0)
        {
          AveThumbnailCandidate candidate = thumbnail_candidate (&records[best], best_score,
                                                                 self->signatures);
          g_array_append_val (candidates, candidate);
        }
    }
  g_array_sort (candidates, ave_thumbnail_candidate_compare_best_first);

  g_array_set_size (into->shots, 0);
  g_array_append_vals (into->shots, shots->data, shots->len);
  g_array_set_size (into->thumbnail_candidates, 0);
  g_array_append_vals (into->thumbnail_candidates, candidates->data, candidates->len);
  g_array_set_size (into->highlights, 0);
  add_highlights (into->highlights, records, n, video_start, video_end);

  g_debug ("%u frames analysed: %u shots, %u thumbnail candidates",
           n, n_shots, candidates->len);
  return TRUE;
}

void
ave_video_analyzer_free (AveVideoAnalyzer *self)
{
  if (self == NULL)
    return;

  /* the groups being decoded end at their next stretch, the others are
   * dropped */
  g_atomic_int_set (&self->key_cancelled, 1);
  if (self->key_pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->key_pool), TRUE, TRUE);
  g_clear_pointer (&self->key_sources, g_ptr_array_unref);
  g_clear_pointer (&self->key_groups, g_ptr_array_unref);
  g_clear_pointer (&self->key_group, key_group_free);
  g_mutex_clear (&self->key_lock);
  g_clear_object (&self->compute);
  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->analysis, ave_compute_analysis_free);
  g_clear_pointer (&self->ring, g_free);
  g_clear_pointer (&self->records, g_array_unref);
  g_clear_pointer (&self->signatures, g_array_unref);
  g_free (self);
}
