#define G_LOG_DOMAIN "ave-thumbnails"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ave-error.h"
#include "media/ave-media.h"
#include "ave-assets.h"

/* Thumbnails are the best-scored analysis candidates that survive the edit,
 * spread out in time and visibly different from each other.  Each one is
 * decoded on its own (seek + one frame), so the cost does not depend on the
 * length of the video. */

#define MIN_SPACING_S   2.0   /* candidates closer than this show the same moment */
#define SIG_W           32
#define SIG_H           18
#define MIN_SIG_DIFF    6.0   /* mean |luma difference| (0..255) of the 32x18 signatures */
/* Bounds on a thumbnail (docs/cli.md, "Limits"): 8K a side, and the
 * probe's limit on a picture's shape (16:1 either way). */
#define MAX_THUMBNAIL_SIDE 8192
#define MAX_THUMBNAIL_ASPECT 16.0

typedef struct
{
  guint8 luma[SIG_W * SIG_H];
} Signature;

/* Box-averaged 32x18 luma: small enough that noise and compression do not
 * matter, detailed enough to tell two shots apart. */
static void
signature_compute (const AvePicture *frame,
                   Signature        *sig)
{
  for (int sy = 0; sy < SIG_H; sy++)
    for (int sx = 0; sx < SIG_W; sx++)
      {
        int x0 = sx * frame->width / SIG_W, x1 = MAX (x0 + 1, (sx + 1) * frame->width / SIG_W);
        int y0 = sy * frame->height / SIG_H, y1 = MAX (y0 + 1, (sy + 1) * frame->height / SIG_H);
        guint64 sum = 0;

        x1 = MIN (x1, frame->width);
        y1 = MIN (y1, frame->height);
        for (int y = y0; y < y1; y++)
          {
            const guint8 *row = frame->y + (gsize) y * frame->y_stride;
            for (int x = x0; x < x1; x++)
              sum += row[x];
          }
        sig->luma[sy * SIG_W + sx] = (guint8) (sum / (guint64) MAX (1, (x1 - x0) * (y1 - y0)));
      }
}

static double
signature_distance (const Signature *a,
                    const Signature *b)
{
  guint64 sum = 0;

  for (guint i = 0; i < SIG_W * SIG_H; i++)
    sum += (guint64) abs ((int) a->luma[i] - (int) b->luma[i]);
  return (double) sum / (SIG_W * SIG_H);
}

/* Thumbnail size: settings->thumbnail_width wide, the display aspect
 * (rotation and non-square pixels included), even sizes for 4:2:0. */
static void
thumbnail_size (const AveMediaInfo *media,
                guint               wanted_width,
                int                *width,
                int                *height)
{
  double dw = media->display_width > 0 ? media->display_width : media->width;
  double dh = media->display_height > 0 ? media->display_height : media->height;
  double sar = 1.0;

  if (media->sample_aspect_num > 0 && media->sample_aspect_den > 0)
    sar = (double) media->sample_aspect_num / media->sample_aspect_den;
  if (media->rotation == 90 || media->rotation == 270)
    sar = 1.0 / sar;

  /* The media description may come from an analysis.json: every number
   * in it is held to what the probe accepts from a real file. */
  if (!(dw > 0 && dh > 0 && isfinite (dw) && isfinite (dh)))
    dw = dh = 1.0;
  if (!(sar > 0 && isfinite (sar)))
    sar = 1.0;
  *width = (int) CLAMP (wanted_width, 16u, (guint) MAX_THUMBNAIL_SIDE) & ~1;
  *height = 2 * (int) lround (CLAMP (*width * dh / (dw * sar),
                                     *width / MAX_THUMBNAIL_ASPECT,
                                     *width * MAX_THUMBNAIL_ASPECT) / 2.0);
  *height = CLAMP (*height, 16, MAX_THUMBNAIL_SIDE);
}

gboolean
ave_thumbnails_write (const AveAnalysis  *analysis,
                      AvePlan            *plan,
                      const AveSettings  *settings,
                      const char         *directory,
                      GPtrArray          *paths,
                      AveProgressFunc     progress,
                      gpointer            progress_data,
                      GCancellable       *cancellable,
                      GError            **error)
{
  g_autoptr(GArray) kept = NULL;
  g_autoptr(GArray) chosen_times = NULL;
  g_autoptr(GArray) chosen_sigs = NULL;
  g_autoptr(AveMediaSource) source = NULL;
  g_autoptr(AveJpegWriter) encoder = NULL;
  AveMediaSourceOptions options = { 0 };
  guint written = 0;
  int width, height;

  g_return_val_if_fail (analysis != NULL, FALSE);
  g_return_val_if_fail (AVE_IS_PLAN (plan), FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);
  g_return_val_if_fail (directory != NULL, FALSE);

  kept = g_array_new (FALSE, FALSE, sizeof (AveThumbnailCandidate));
  if (analysis->thumbnail_candidates != NULL)
    for (guint i = 0; i < analysis->thumbnail_candidates->len; i++)
      {
        const AveThumbnailCandidate *cand =
          &g_array_index (analysis->thumbnail_candidates, AveThumbnailCandidate, i);
        /* A frame the edit removes would advertise something the video
         * does not show. */
        if (ave_plan_source_to_output (plan, cand->time) >= 0.0)
          g_array_append_val (kept, *cand);
      }
  g_array_sort (kept, ave_thumbnail_candidate_compare_best_first);

  if (kept->len == 0 || settings->thumbnail_count == 0 ||
      analysis->media == NULL || !analysis->media->has_video)
    {
      if (progress != NULL)
        progress (1.0, progress_data);
      return TRUE;
    }

  thumbnail_size (analysis->media, settings->thumbnail_width, &width, &height);
  options.want_video = TRUE;
  options.want_audio = FALSE;
  options.video_width = width;
  options.video_height = height;
  options.apply_rotation = TRUE;
  /* A handful of frames, usually decoded beside the render, which keeps
   * the cores busy already: one decoder thread holds far fewer frames. */
  options.decoder_threads = 1;
  source = ave_media_source_open (ave_plan_get_source (plan), &options, error);
  if (source == NULL)
    return FALSE;
  encoder = ave_jpeg_writer_new (width, height, error);
  if (encoder == NULL)
    return FALSE;

  chosen_times = g_array_new (FALSE, FALSE, sizeof (double));
  chosen_sigs = g_array_new (FALSE, FALSE, sizeof (Signature));

  for (guint i = 0; i < kept->len && written < settings->thumbnail_count; i++)
    {
      const AveThumbnailCandidate *cand = &g_array_index (kept, AveThumbnailCandidate, i);
      g_autoptr(AvePicture) frame = NULL;
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      gboolean duplicate = FALSE;
      Signature sig;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      for (guint k = 0; k < chosen_times->len && !duplicate; k++)
        duplicate = fabs (g_array_index (chosen_times, double, k) - cand->time) < MIN_SPACING_S;
      if (duplicate)
        continue;

      if (!ave_media_source_seek (source, cand->time, error))
        return FALSE;
      frame = ave_media_source_read_picture (source, error);
      if (frame == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          g_debug ("no frame at %.3f s; trying the next candidate", cand->time);
          continue;
        }

      signature_compute (frame, &sig);
      for (guint k = 0; k < chosen_sigs->len && !duplicate; k++)
        duplicate = signature_distance (&g_array_index (chosen_sigs, Signature, k), &sig) < MIN_SIG_DIFF;
      if (duplicate)
        {
          g_debug ("candidate at %.3f s looks like one already chosen", cand->time);
          continue;
        }

      name = g_strdup_printf ("thumb-%02u.jpg", written + 1);
      path = g_build_filename (directory, name, NULL);
      if (!ave_jpeg_writer_write (encoder, frame, path, error))
        return FALSE;

      g_array_append_val (chosen_times, cand->time);
      g_array_append_val (chosen_sigs, sig);
      if (paths != NULL)
        g_ptr_array_add (paths, g_steal_pointer (&path));
      written++;
      if (progress != NULL)
        progress ((double) written / settings->thumbnail_count, progress_data);
    }

  if (progress != NULL && written < settings->thumbnail_count)
    progress (1.0, progress_data);
  return TRUE;
}
