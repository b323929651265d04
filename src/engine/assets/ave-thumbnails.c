#define G_LOG_DOMAIN "ave-thumbnails"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "core/ave-error.h"
#include "compute/ave-compute.h"
#include "media/ave-media.h"
#include "ave-assets.h"
#include "ave-cards-private.h"

/* Thumbnails are the best-scored analysis candidates that survive the edit,
 * spread out in time and visibly different from each other (by their
 * signatures: the analysed picture's when the analysis kept it, so a
 * candidate like one chosen is passed over undecoded).  Each one is
 * decoded on its own (seek + one frame), so the cost does not depend on the
 * length of the video. */

#define MIN_SPACING_S   2.0   /* candidates closer than this show the same moment */
/* Bounds on a thumbnail (docs/cli.md, "Limits"): 8K a side, and the
 * probe's limit on a picture's shape (16:1 either way). */
#define MAX_THUMBNAIL_SIDE 8192
#define MAX_THUMBNAIL_ASPECT 16.0

static gboolean
looks_like_one_chosen (const AveThumbnailSignature *sig,
                       GArray                      *chosen_sigs)
{
  for (guint k = 0; k < chosen_sigs->len; k++)
    if (ave_thumbnail_signature_distance (&g_array_index (chosen_sigs, AveThumbnailSignature, k), sig)
        < AVE_THUMBNAIL_SIGNATURE_ALIKE)
      return TRUE;
  return FALSE;
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
  chosen_sigs = g_array_new (FALSE, FALSE, sizeof (AveThumbnailSignature));

  for (guint i = 0; i < kept->len && written < settings->thumbnail_count; i++)
    {
      const AveThumbnailCandidate *cand = &g_array_index (kept, AveThumbnailCandidate, i);
      g_autoptr(AvePicture) frame = NULL;
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      gboolean duplicate = FALSE;
      AveThumbnailSignature sig;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      for (guint k = 0; k < chosen_times->len && !duplicate; k++)
        duplicate = fabs (g_array_index (chosen_times, double, k) - cand->time) < MIN_SPACING_S;
      if (duplicate)
        continue;
      /* The analysis kept what the picture looks like: a candidate like
       * one chosen is passed over without decoding it. */
      if (cand->has_signature)
        {
          sig = cand->signature;
          if (looks_like_one_chosen (&sig, chosen_sigs))
            {
              g_debug ("candidate at %.3f s looks like one already chosen (analysed picture)", cand->time);
              continue;
            }
        }

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

      if (!cand->has_signature)
        {
          ave_thumbnail_signature_compute (frame->y, frame->y_stride, frame->width, frame->height, &sig);
          if (looks_like_one_chosen (&sig, chosen_sigs))
            {
              g_debug ("candidate at %.3f s looks like one already chosen", cand->time);
              continue;
            }
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

/* ------------------------------------------------------------ art */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_surface_t, cairo_surface_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_t, cairo_destroy)

void
ave_rgba_image_free (AveRgbaImage *image)
{
  if (image == NULL)
    return;
  g_free (image->rgba);
  g_free (image);
}

char *
ave_thumbnail_art_subject (const AveAnalysis  *analysis,
                           AvePlan            *plan,
                           const AveSettings  *settings)
{
  g_autoptr(JsonNode) metadata = ave_metadata_build (analysis, plan, settings);
  JsonArray *titles = json_object_get_array_member (json_node_get_object (metadata), "titles");

  if (titles != NULL && json_array_get_length (titles) > 0)
    return g_strdup (json_array_get_string_element (titles, 0));
  return ave_metadata_title_from_path (ave_plan_get_source (plan));
}

/* The variants' texts: the director's thumbnail text first, then every
 * title suggestion, each once. */
static GPtrArray *
art_texts (const AveAnalysis *analysis, AvePlan *plan, const AveSettings *settings)
{
  g_autoptr(JsonNode) metadata = ave_metadata_build (analysis, plan, settings);
  JsonObject *o = json_node_get_object (metadata);
  JsonArray *titles = json_object_get_array_member (o, "titles");
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  if (json_object_has_member (o, "thumbnail"))
    {
      const char *text = json_object_get_string_member_with_default (json_object_get_object_member (o, "thumbnail"),
                                                                      "text", "");
      if (*text != '\0')
        g_ptr_array_add (texts, g_strdup (text));
    }
  for (guint i = 0; titles != NULL && i < json_array_get_length (titles); i++)
    {
      const char *title = json_array_get_string_element (titles, i);
      gboolean seen = FALSE;

      for (guint k = 0; k < texts->len && !seen; k++)
        seen = g_str_equal (g_ptr_array_index (texts, k), title);
      if (!seen && title != NULL && *title != '\0')
        g_ptr_array_add (texts, g_strdup (title));
    }
  if (texts->len == 0)
    g_ptr_array_add (texts, ave_metadata_title_from_path (ave_plan_get_source (plan)));
  return texts;
}

static cairo_surface_t *
art_surface (const AveRgbaImage *art)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, art->width, art->height);
  guint8 *data;
  int stride;

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    return surface;
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < art->height; y++)
    {
      const guint8 *in = art->rgba + (gsize) y * art->stride;
      guint32 *out = (guint32 *) (data + (gsize) y * stride);

      /* A background is opaque: alpha is dropped, not blended. */
      for (int x = 0; x < art->width; x++, in += 4)
        out[x] = ((guint32) in[0] << 16) | ((guint32) in[1] << 8) | in[2];
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

/* The art covering the thumbnail (cropped at the centre, not stretched),
 * and the text on a dark band across the bottom fifth. */
static void
draw_art_thumbnail (cairo_t *cr, cairo_surface_t *art, const char *text, int width, int height)
{
  double iw = cairo_image_surface_get_width (art), ih = cairo_image_surface_get_height (art);
  double scale = MAX (width / iw, height / ih);
  double band_h = round (height * 0.24);
  double margin = round (width * 0.04);
  g_autoptr(PangoLayout) layout = NULL;
  int tw, th;

  cairo_save (cr);
  cairo_translate (cr, (width - iw * scale) / 2.0, (height - ih * scale) / 2.0);
  cairo_scale (cr, scale, scale);
  cairo_set_source_surface (cr, art, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_restore (cr);

  cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
  cairo_rectangle (cr, 0, height - band_h, width, band_h);
  cairo_fill (cr);

  layout = _ave_card_fit_text (cr, text, TRUE, band_h * 0.55, MAX (6.0, band_h * 0.18),
                               (int) (width - 2 * margin), (int) (band_h * 0.9), PANGO_ALIGN_CENTER, NULL);
  if (layout == NULL)
    return;
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, margin, height - band_h + (band_h - th) / 2.0);
  pango_cairo_show_layout (cr, layout);
}

gboolean
ave_thumbnails_write_art (const AveAnalysis  *analysis,
                          AvePlan            *plan,
                          const AveSettings  *settings,
                          GPtrArray          *art,
                          const char         *directory,
                          GPtrArray          *paths,
                          AveProgressFunc     progress,
                          gpointer            progress_data,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GPtrArray) surfaces = g_ptr_array_new_with_free_func ((GDestroyNotify) cairo_surface_destroy);
  g_autoptr(AveJpegWriter) encoder = NULL;
  g_autoptr(AveCompute) cpu = ave_compute_cpu_new ();
  g_autofree guint8 *planes = NULL;
  AveYuvFrame yuv;
  int width, height;

  g_return_val_if_fail (analysis != NULL, FALSE);
  g_return_val_if_fail (AVE_IS_PLAN (plan), FALSE);
  g_return_val_if_fail (art != NULL && art->len > 0, FALSE);

  if (analysis->media != NULL && analysis->media->has_video)
    thumbnail_size (analysis->media, settings->thumbnail_width, &width, &height);
  else
    {
      /* A podcast gets a thumbnail all the same, at the usual 16:9. */
      width = (int) CLAMP (settings->thumbnail_width, 16u, (guint) MAX_THUMBNAIL_SIDE) & ~1;
      height = MAX (16, 2 * (int) lround (width * 9.0 / 16.0 / 2.0));
    }
  encoder = ave_jpeg_writer_new (width, height, error);
  if (encoder == NULL)
    return FALSE;
  texts = art_texts (analysis, plan, settings);
  for (guint i = 0; i < art->len; i++)
    {
      cairo_surface_t *surface = art_surface (g_ptr_array_index (art, i));

      g_ptr_array_add (surfaces, surface);
      if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED, "Out of memory for the thumbnail art");
          return FALSE;
        }
    }

  /* The YUV planes the JPEG writer takes, one buffer. */
  planes = g_malloc ((gsize) width * height + 2 * (gsize) ((width + 1) / 2) * ((height + 1) / 2));
  yuv = (AveYuvFrame) {
    .width = width, .height = height,
    .y = planes, .y_stride = width,
    .u = planes + (gsize) width * height,
    .v = planes + (gsize) width * height + (gsize) ((width + 1) / 2) * ((height + 1) / 2),
    .uv_stride = (width + 1) / 2,
  };

  for (guint i = 0; i < settings->thumbnail_count; i++)
    {
      g_autoptr(cairo_surface_t) target = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
      g_autoptr(cairo_t) cr = NULL;
      g_autofree guint8 *rgba = NULL;
      g_autofree char *name = g_strdup_printf ("thumb-%02u.jpg", i + 1);
      g_autofree char *path = g_build_filename (directory, name, NULL);
      AvePicture picture;
      int stride;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (cairo_surface_status (target) != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_FAILED, "Out of memory for a thumbnail");
          return FALSE;
        }
      cr = cairo_create (target);
      draw_art_thumbnail (cr, g_ptr_array_index (surfaces, i % surfaces->len),
                          g_ptr_array_index (texts, i % texts->len), width, height);
      cairo_surface_flush (target);
      rgba = _ave_surface_to_rgba (target, &stride);
      if (!ave_compute_rgba_to_yuv (cpu, rgba, stride, &yuv, error))
        return FALSE;
      picture = (AvePicture) {
        .width = width, .height = height,
        .y = yuv.y, .u = yuv.u, .v = yuv.v, .y_stride = yuv.y_stride, .uv_stride = yuv.uv_stride,
        .matrix = AVE_COLOR_MATRIX_BT709,   /* AveCompute's RGB -> YUV */
      };
      if (!ave_jpeg_writer_write (encoder, &picture, path, error))
        return FALSE;
      if (paths != NULL)
        g_ptr_array_add (paths, g_steal_pointer (&path));
      if (progress != NULL)
        progress ((double) (i + 1) / settings->thumbnail_count, progress_data);
    }
  if (progress != NULL && settings->thumbnail_count == 0)
    progress (1.0, progress_data);
  return TRUE;
}
