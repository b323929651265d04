#define G_LOG_DOMAIN "ave-memory-budget"

#include "config.h"

#include <string.h>

#include "ave-memory-budget.h"
#include "ave-worker-pool.h"

#define MIB (1024 * 1024)

/* Libraries, the engine's own tables and FFmpeg's demuxer: measured at
 * ~32 MB for the CLI before any decoding, plus the analysis records. */
#define PROCESS_BASE_BYTES   (40ull * MIB)
/* What the analysis leaves resident for the render even after its
 * analysers are freed and the allocator trimmed (measured: ~95 MB anonymous
 * memory after transcribing a 1080p talk, against ~40 MB without).  Since
 * the runtime fixes glibc's mmap threshold (ave-runtime.c) it is ~22 MB;
 * the estimate keeps the old figure as room for the allocator's free
 * lists under a budget. */
#define AFTER_ANALYSIS_BYTES (80ull * MIB)
/* One PocketSphinx decoder with the en-US model (ave-audio-analyzer.c). */
#define TRANSCRIBER_BYTES    (160ull * MIB)
/* What the reader queues by default (ave-media-reader.c). */
#define DEFAULT_QUEUE_BYTES  (32u * MIB)
#define EFFICIENT_QUEUE_BYTES (8u * MIB)
#define MINIMAL_QUEUE_BYTES  (2u * MIB)
#define SMALLEST_QUEUE_BYTES (1u * MIB)
/* The estimates are kept under this share of the budget: the allocator's
 * free lists and fragmentation take the rest. */
#define BUDGET_SHARE         0.90

const char * const ave_encoder_presets[] = {
  "ultrafast", "superfast", "veryfast", "faster", "fast",
  "medium", "slow", "slower", "veryslow", NULL,
};

/* x264's own memory per source pixel with one thread and no look-ahead,
 * by preset (more reference frames and sub-pel planes for the slower
 * ones).  Measured at 1080p: ultrafast ~28 MB, veryfast/medium ~100 MB. */
static const double x264_base_per_pixel[] = {
  14.0, 30.0, 46.0, 47.0, 48.0, 48.0, 56.0, 66.0, 90.0,
};
/* Each look-ahead frame: the frame, its half-resolution copy and the
 * macroblock-tree costs (6.4 MB at 1080p). */
#define X264_LOOKAHEAD_PER_PIXEL 3.1
/* Each frame thread beyond the first holds its frames in flight.  Measured
 * with x264's threaded look-ahead, which the MP4 writer no longer uses
 * (~14 bytes per pixel less at two threads): an upper bound now. */
#define X264_THREAD_PER_PIXEL    25.0

int
ave_encoder_preset_index (const char *preset)
{
  for (int i = 0; preset != NULL && ave_encoder_presets[i] != NULL; i++)
    if (g_str_equal (ave_encoder_presets[i], preset))
      return i;
  return -1;
}

int
ave_memory_pressure_level (guint64 rss_bytes,
                           guint64 budget_bytes)
{
  if (budget_bytes == 0)
    return AVE_PRESSURE_NORMAL;
  if (rss_bytes * 10 >= budget_bytes * 9)
    return AVE_PRESSURE_CRITICAL;
  if (rss_bytes * 10 >= budget_bytes * 8)
    return AVE_PRESSURE_HIGH;
  return AVE_PRESSURE_NORMAL;
}

/* An H.264 decoder at this size: the decoded picture buffer (up to ~6
 * frames for the streams cameras and encoders write) plus the frames each
 * frame thread holds. */
static guint64
decoder_bytes (guint64 pixels, guint threads)
{
  return (guint64) (pixels * 1.5 * (6 + 2 * MAX (1u, threads)));
}

static guint
transcriber_count (const AveSettings *settings, guint workers)
{
  guint n;

  if (!settings->transcribe)
    return 0;
  /* The same rule as ave-audio-analyzer.c's choose_transcriber_count. */
  n = CLAMP (workers / 3, 1u, 4u);
  if (settings->max_memory_bytes > 0)
    n = MIN (n, MAX (1u, settings->max_memory_bytes / (4 * TRANSCRIBER_BYTES)));
  return n;
}

static void
source_size (int width, int height, guint64 *pixels)
{
  if (width <= 0 || height <= 0)
    {
      width = 1920;
      height = 1080;
    }
  *pixels = (guint64) width * (guint64) height;
}

guint64
ave_memory_estimate_analysis (const AveSettings *settings,
                              int width, int height,
                              guint reader_threads,
                              gsize queue_bytes)
{
  guint64 pixels;
  guint workers = MAX (1u, settings->n_workers);

  source_size (width, height, &pixels);
  return PROCESS_BASE_BYTES
       + transcriber_count (settings, workers) * TRANSCRIBER_BYTES
       + decoder_bytes (pixels, reader_threads)
       + (queue_bytes > 0 ? queue_bytes : DEFAULT_QUEUE_BYTES)
       + 8ull * MIB;   /* downscaled frames in flight and analysis batches */
}

guint64
ave_memory_estimate_composition (const AveSettings *settings,
                                 int width, int height,
                                 guint encoder_threads,
                                 guint lookahead,
                                 gboolean parallel_outputs)
{
  guint64 pixels;
  int preset = ave_encoder_preset_index (settings->encoder_preset);
  guint decoder_threads = CLAMP (settings->n_workers / 2, 1u, 4u);   /* ave-composer.c */
  double x264;
  guint64 total;

  source_size (width, height, &pixels);
  if (preset < 0)
    preset = ave_encoder_preset_index ("medium");
  x264 = pixels * (x264_base_per_pixel[preset]
                   + X264_LOOKAHEAD_PER_PIXEL * lookahead
                   + X264_THREAD_PER_PIXEL * (MAX (1u, encoder_threads) - 1));

  total = PROCESS_BASE_BYTES + (settings->transcribe ? AFTER_ANALYSIS_BYTES : 0) + (guint64) x264
        /* a crossfade decodes two pieces at once, for its short length;
         * the second decoder's buffers fill only partly */
        + decoder_bytes (pixels, decoder_threads) * (settings->transitions ? 3 : 2) / 2
        /* frames being composed and converted */
        + (guint64) (pixels * 1.5 * 4);
  if (parallel_outputs)
    total += decoder_bytes (pixels, CLAMP (settings->n_workers, 1u, 4u))
           + (guint64) settings->thumbnail_width * settings->thumbnail_width * 4;
  return total;
}

void
ave_memory_budget_plan (const AveSettings *settings,
                        int                width,
                        int                height,
                        guint              n_cpus,
                        AveBudgetPlan     *plan)
{
  AveSystemLoad machine = { .n_cpus = MAX (1u, n_cpus) };
  g_autoptr(AveSettings) sized = ave_settings_copy (settings);
  guint ffmpeg_threads;
  guint64 limit;

  memset (plan, 0, sizeof *plan);
  plan->budget_bytes = settings->max_memory_bytes;

  plan->workers = ave_worker_pool_size (settings, &machine);
  ffmpeg_threads = settings->thread_pool_size > 0 ? settings->thread_pool_size : plan->workers;
  if (!settings->parallel)
    ffmpeg_threads = 1;   /* --no-parallel: one thread per codec as well */

  plan->reader_threads = ffmpeg_threads;
  plan->encoder_threads = ffmpeg_threads;
  if (settings->encoder_threads > 0)
    plan->encoder_threads = MIN (plan->encoder_threads, settings->encoder_threads);
  plan->encoder_lookahead = settings->encoder_lookahead;
  plan->reader_queue_bytes = DEFAULT_QUEUE_BYTES;
  /* Thumbnails beside the render need a core the render does not use:
   * with two workers a full render's x264 keeps both busy, so the overlap
   * gained no time on a 60 s 1080p talk (88.3 s either way) and held a
   * third decoder's frames (peak 395 MB instead of 360 MB).  A smart cut
   * mostly copies and leaves room (a 5-minute fast-mode run took 6.9 s
   * longer with the thumbnails first). */
  plan->parallel_outputs = settings->parallel &&
                           (plan->workers > 2 || ave_settings_uses_smart_cut (settings));

  if (settings->memory_efficient)
    {
      plan->reader_queue_bytes = EFFICIENT_QUEUE_BYTES;
      plan->encoder_lookahead = MIN (plan->encoder_lookahead, 10u);
    }
  if (settings->minimal_buffers)
    {
      plan->reader_queue_bytes = MINIMAL_QUEUE_BYTES;
      plan->encoder_lookahead = MIN (plan->encoder_lookahead, 5u);
    }

  sized->n_workers = plan->workers;
  if (plan->budget_bytes > 0)
    {
      limit = (guint64) (plan->budget_bytes * BUDGET_SHARE);
      plan->reader_queue_bytes = MIN (plan->reader_queue_bytes,
                                      MAX (SMALLEST_QUEUE_BYTES, plan->budget_bytes / 32));

      /* Analysis: the queue first, then decoder threads, then workers
       * (each third of them is a transcriber). */
      while (ave_memory_estimate_analysis (sized, width, height, plan->reader_threads,
                                           plan->reader_queue_bytes) > limit)
        {
          if (plan->reader_queue_bytes > SMALLEST_QUEUE_BYTES)
            plan->reader_queue_bytes = MAX (SMALLEST_QUEUE_BYTES, plan->reader_queue_bytes / 2);
          else if (plan->reader_threads > 1)
            plan->reader_threads /= 2;
          else if (sized->n_workers > 1)
            sized->n_workers--;
          else
            break;
        }

      /* Composition: thumbnails after the render instead of beside it,
       * then x264's look-ahead down to 5 frames, then its frame threads
       * (speed), then the rest of the look-ahead (quality), and last the
       * workers.  Settings this has already lowered are where a second
       * sizing starts, so the order keeps the result the same. */
      while (ave_memory_estimate_composition (sized, width, height, plan->encoder_threads,
                                              plan->encoder_lookahead, plan->parallel_outputs) > limit)
        {
          if (plan->parallel_outputs)
            plan->parallel_outputs = FALSE;
          else if (plan->encoder_lookahead > 10)
            plan->encoder_lookahead = 10;
          else if (plan->encoder_lookahead > 5)
            plan->encoder_lookahead = 5;
          else if (plan->encoder_threads > 1)
            plan->encoder_threads /= 2;
          else if (plan->encoder_lookahead > 0)
            plan->encoder_lookahead = 0;   /* x264 then works without macroblock-tree */
          else if (sized->n_workers > 2)
            sized->n_workers--;   /* the composer's decoders take n_workers / 2 threads */
          else
            break;
        }
      plan->workers = sized->n_workers;
    }

  sized->n_workers = plan->workers;
  plan->analysis_bytes = ave_memory_estimate_analysis (sized, width, height, plan->reader_threads,
                                                       plan->reader_queue_bytes);
  plan->composition_bytes = ave_memory_estimate_composition (sized, width, height, plan->encoder_threads,
                                                             plan->encoder_lookahead,
                                                             plan->parallel_outputs);
  plan->fits = plan->budget_bytes == 0
            || MAX (plan->analysis_bytes, plan->composition_bytes) <= plan->budget_bytes * BUDGET_SHARE;
}

void
ave_memory_budget_apply (AveSettings         *settings,
                         const AveBudgetPlan *plan)
{
  settings->n_workers = plan->workers;
  settings->encoder_threads = plan->encoder_threads;
  settings->encoder_lookahead = plan->encoder_lookahead;
}
