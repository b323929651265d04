#define G_LOG_DOMAIN "ave-test-assets"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "analysis/ave-analysis.h"
#include "assets/ave-assets.h"
#include "core/ave-error.h"
#include "core/ave-settings.h"
#include "director/ave-plan.h"
#include "media/ave-media.h"

/* The thumbnail source has four visually distinct parts, so which frame
 * became which thumbnail can be told from the JPEG alone:
 *   [0, 4)      moving bright/dark waves
 *   [4, 5.75)   flat grey
 *   [5.75, 6.5) white  (cut by the plan below)
 *   [6.5, 10)   the same flat grey */
static const char *
thumb_source (void)
{
  static char *path;

  if (path == NULL)
    {
      path = ave_test_path ("thumbs-src.mp4");
      ave_test_sh ("ffmpeg -v error -nostdin -y "
                   "-f lavfi -i \"color=c=black:s=320x180:r=25:d=4,format=yuv420p,"
                   "geq=lum='clip(128+100*sin(X/20+T*1.7)*cos(Y/15-T*1.1)\\,16\\,235)':cb=128:cr=128\" "
                   "-f lavfi -i color=c=0x606060:s=320x180:r=25:d=1.75 "
                   "-f lavfi -i color=c=white:s=320x180:r=25:d=0.75 "
                   "-f lavfi -i color=c=0x606060:s=320x180:r=25:d=3.5 "
                   "-filter_complex \"[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v]\" "
                   "-map \"[v]\" -c:v libx264 -preset ultrafast -g 25 '%s'", path);
    }
  return path;
}

static AveAnalysis *
analysis_with_candidates (const char                  *source,
                          const AveThumbnailCandidate *candidates,
                          guint                        n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = ave_media_probe (source, &error);
  AveAnalysis *analysis;

  g_assert_no_error (error);
  analysis = ave_analysis_new (source, info);
  g_array_append_vals (analysis->thumbnail_candidates, candidates, n);
  return analysis;
}

static GHashTable *
probe_image (const char *path)
{
  g_autofree char *out = ave_test_sh_output ("ffprobe -v error -show_entries stream=codec_name,width,height "
                                             "-of default=nw=1 '%s'", path);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');
      if (eq != NULL)
        {
          *eq = '\0';
          g_hash_table_insert (table, g_strdup (lines[i]), g_strdup (eq + 1));
        }
    }
  return table;
}

/* Mean and standard deviation of the luma of a 32x18 downscale. */
static void
image_luma (const char *path,
            double     *mean,
            double     *stddev)
{
  static guint counter;
  g_autofree char *name = g_strdup_printf ("luma-%u.gray", counter++);
  g_autofree char *raw = ave_test_path (name);
  g_autofree char *data = NULL;
  gsize length = 0;
  double sum = 0.0, sum2 = 0.0;

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -vf scale=32:18,format=gray -f rawvideo '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  g_assert_cmpuint (length, ==, 32 * 18);
  for (gsize i = 0; i < length; i++)
    {
      double v = (guint8) data[i];
      sum += v;
      sum2 += v * v;
    }
  *mean = sum / length;
  *stddev = sqrt (MAX (0.0, sum2 / length - *mean * *mean));
}

/* The thumbnails of `source` (10 s) from these candidates, for a plan
 * that keeps `keeps`, written into the test folder `name`. */
static GPtrArray *
write_thumbnails (const char                  *source,
                  const AveThumbnailCandidate *candidates,
                  guint                        n_candidates,
                  const AveSegment            *keeps,
                  guint                        n_keeps,
                  guint                        count,
                  guint                        width,
                  const char                  *name)
{
  g_autoptr(AveAnalysis) analysis = analysis_with_candidates (source, candidates, n_candidates);
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ave_test_path (name);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n_keeps; i++)
    g_assert_true (ave_plan_append_segment (plan, &keeps[i]));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  settings->thumbnail_count = count;
  settings->thumbnail_width = width;
  g_assert_true (ave_thumbnails_write (analysis, plan, settings, dir, paths, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return paths;
}

static void
test_thumbnails_choice (void)
{
  const char *source = thumb_source ();
  const AveThumbnailCandidate candidates[] = {
    { .time = 6.0, .score = 0.99 },   /* best, but the plan cuts it (white) */
    { .time = 1.0, .score = 0.95 },   /* chosen first */
    { .time = 0.5, .score = 0.90 },   /* within 2 s of 1.0 */
    { .time = 5.4, .score = 0.85 },   /* chosen: flat grey */
    { .time = 8.0, .score = 0.80 },   /* looks exactly like 5.4 */
    { .time = 3.2, .score = 0.70 },   /* chosen: waves again, but another phase */
    { .time = 9.5, .score = 0.50 },   /* grey again */
  };
  const AveSegment keeps[] = {
    { .start = 0.0, .end = 5.5, .enabled = TRUE },
    { .start = 7.0, .end = 10.0, .enabled = TRUE },
  };
  g_autofree char *dir = ave_test_path ("thumbs");
  g_autoptr(GPtrArray) paths = write_thumbnails (source, candidates, G_N_ELEMENTS (candidates),
                                                 keeps, G_N_ELEMENTS (keeps), 5, 320, "thumbs");
  const double expected_times[] = { 1.0, 5.4, 3.2 };
  double means[3], stddevs[3];

  /* five asked for, but only three are far enough apart, kept and different */
  g_assert_cmpuint (paths->len, ==, 3);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autofree char *expected_name = g_strdup_printf ("thumb-%02u.jpg", i + 1);
      g_autofree char *base = g_path_get_basename (path);
      g_autoptr(GHashTable) image = probe_image (path);

      g_assert_cmpstr (base, ==, expected_name);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      g_assert_cmpstr (g_hash_table_lookup (image, "codec_name"), ==, "mjpeg");
      g_assert_cmpstr (g_hash_table_lookup (image, "width"), ==, "320");
      g_assert_cmpstr (g_hash_table_lookup (image, "height"), ==, "180");
      image_luma (path, &means[i], &stddevs[i]);
      g_test_message ("%s (t=%.1f): mean %.1f, stddev %.1f", base, expected_times[i], means[i], stddevs[i]);
      /* the white frame at 6.0 s is cut: no thumbnail may show it */
      g_assert_cmpfloat (means[i], <, 200.0);
    }
  /* which frames: waves, flat grey, waves (grey 0x60 = 96 full range) */
  g_assert_cmpfloat (stddevs[0], >, 20.0);
  g_assert_cmpfloat (stddevs[1], <, 3.0);
  g_assert_cmpfloat (fabs (means[1] - 96.0), <, 6.0);
  g_assert_cmpfloat (stddevs[2], >, 20.0);
  /* no temporary files left behind */
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    guint n = 0;
    while (g_dir_read_name (d) != NULL)
      n++;
    g_assert_cmpuint (n, ==, 3);
  }
}

/* Candidates that carry the analysed picture's signature are compared
 * by it, before anything is decoded: here the flat grey frame at 5.4 s
 * is said to look like the waves at 1.0 s, so it is passed over (read
 * from its pixels, as without signatures, it would be chosen), and the
 * waves at 3.2 s, said to look different, are chosen. */
static void
test_thumbnails_signatures (void)
{
  const char *source = thumb_source ();
  AveThumbnailCandidate candidates[] = {
    { .time = 1.0, .score = 0.95, .has_signature = TRUE },
    { .time = 5.4, .score = 0.85, .has_signature = TRUE },
    { .time = 3.2, .score = 0.70, .has_signature = TRUE },
  };
  const AveSegment keep = { .start = 0.0, .end = 10.0, .enabled = TRUE };
  g_autoptr(GPtrArray) paths = NULL;
  double mean, stddev;

  memset (candidates[0].signature.luma, 100, sizeof candidates[0].signature.luma);
  memset (candidates[1].signature.luma, 102, sizeof candidates[1].signature.luma);
  memset (candidates[2].signature.luma, 140, sizeof candidates[2].signature.luma);
  g_assert_cmpfloat (ave_thumbnail_signature_distance (&candidates[0].signature, &candidates[1].signature),
                     ==, 2.0);
  paths = write_thumbnails (source, candidates, G_N_ELEMENTS (candidates), &keep, 1, 5, 320,
                            "thumbs-signatures");
  g_assert_cmpuint (paths->len, ==, 2);
  for (guint i = 0; i < paths->len; i++)
    {
      image_luma (g_ptr_array_index (paths, i), &mean, &stddev);
      /* the waves both times, never the flat grey */
      g_assert_cmpfloat (stddev, >, 20.0);
    }
}

/* The signature is the mean luma of each of 16 x 9 boxes, whatever the
 * size of the plane (every pixel up to 640 wide, every n-th row and
 * column beyond). */
static void
test_thumbnail_signature (void)
{
  const int w = 1920, h = 1080;
  g_autofree guint8 *plane = g_new (guint8, (gsize) w * h);
  AveThumbnailSignature sig, small_sig;

  /* left half 40, right half 200, with pixel noise that averages out */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      plane[(gsize) y * w + x] = (guint8) ((x < w / 2 ? 40 : 200) + ((x + y) % 2 ? 10 : -10));
  ave_thumbnail_signature_compute (plane, w, w, h, &sig);
  for (int sx = 0; sx < AVE_THUMBNAIL_SIGNATURE_W; sx++)
    g_assert_cmpint (sig.luma[4 * AVE_THUMBNAIL_SIGNATURE_W + sx], ==, sx < 8 ? 40 : 200);
  /* the same picture at 320x180 (every pixel) gives the same signature */
  for (int y = 0; y < 180; y++)
    for (int x = 0; x < 320; x++)
      plane[(gsize) y * 320 + x] = (guint8) ((x < 160 ? 40 : 200) + ((x + y) % 2 ? 10 : -10));
  ave_thumbnail_signature_compute (plane, 320, 320, 180, &small_sig);
  g_assert_cmpfloat (ave_thumbnail_signature_distance (&sig, &small_sig), <, 1.0);
}

static void
test_thumbnails_count_and_spacing (void)
{
  const char *source = thumb_source ();
  AveThumbnailCandidate candidates[40];
  g_autoptr(GPtrArray) paths = NULL;
  g_autofree char *dir = ave_test_path ("thumbs-count");
  const AveSegment keep = { .start = 0.0, .end = 4.0, .enabled = TRUE };
  g_autofree char *third = NULL;

  /* a candidate every 0.25 s over the moving part, later ones better */
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    candidates[i] = (AveThumbnailCandidate) { .time = i * 0.25, .score = i / 40.0 };
  paths = write_thumbnails (source, candidates, G_N_ELEMENTS (candidates), &keep, 1, 2, 256, "thumbs-count");
  g_assert_cmpuint (paths->len, ==, 2);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GHashTable) image = probe_image (g_ptr_array_index (paths, i));
      g_assert_cmpstr (g_hash_table_lookup (image, "width"), ==, "256");
      g_assert_cmpstr (g_hash_table_lookup (image, "height"), ==, "144");
    }
  third = g_build_filename (dir, "thumb-03.jpg", NULL);
  g_assert_false (g_file_test (third, G_FILE_TEST_EXISTS));
}

static void
on_progress (double fraction, gpointer user_data)
{
  GArray *fractions = user_data;
  g_array_append_val (fractions, fraction);
}

static void
test_thumbnails_rotated (void)
{
  const char *source = thumb_source ();
  g_autofree char *rotated = ave_test_path ("thumbs-rotated.mp4");
  const AveThumbnailCandidate candidates[] = { { .time = 1.0, .score = 1.0 }, { .time = 5.0, .score = 0.5 } };
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ave_test_path ("thumbs-rot");
  AveSegment keep = { .start = 0.0, .end = 10.0, .enabled = TRUE };

  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -c copy -metadata:s:v:0 rotate=90 '%s'", source, rotated);
  analysis = analysis_with_candidates (rotated, candidates, G_N_ELEMENTS (candidates));
  plan = ave_plan_new (rotated, 10.0);
  g_assert_true (ave_plan_append_segment (plan, &keep));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  settings->thumbnail_count = 3;
  settings->thumbnail_width = 180;

  g_assert_true (ave_thumbnails_write (analysis, plan, settings, dir, paths, on_progress, fractions, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 2);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GHashTable) image = probe_image (g_ptr_array_index (paths, i));
      /* portrait: 180 wide, 180 * 320 / 180 = 320 high */
      g_assert_cmpstr (g_hash_table_lookup (image, "width"), ==, "180");
      g_assert_cmpstr (g_hash_table_lookup (image, "height"), ==, "320");
    }
  g_assert_cmpuint (fractions->len, >, 0);
  for (guint i = 1; i < fractions->len; i++)
    g_assert_cmpfloat (g_array_index (fractions, double, i), >=, g_array_index (fractions, double, i - 1));
  g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), ==, 1.0);
}

/* Colour bars of known RGB, written as Y'CbCr with the matrix the tags
 * name; the thumbnails' JPEGs, decoded as any JFIF reader does (BT.601
 * full range), must give the bars back. */
static const guint32 BAR_COLOURS[8] = {
  0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff, 0xff00ff, 0xe07020, 0x3080c0,
};

static void
check_bars_thumbnail (const char *name,
                      int         width,
                      int         height,
                      const char *matrix,     /* swscale's name for it */
                      const char *tags)       /* ffmpeg output options */
{
  g_autofree char *source_name = g_strdup_printf ("bars-%s.mp4", name);
  g_autofree char *source = ave_test_path (source_name);
  g_autofree char *dir = ave_test_path (name);
  g_autofree char *raw = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GString) graph = g_string_new (NULL);
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const AveThumbnailCandidate candidate = { .time = 0.5, .score = 1.0 };
  AveSegment keep = { .start = 0.0, .end = 1.0, .enabled = TRUE };
  int bar_w = width / 8, tw = 320, th = 0, worst = 0;
  gsize length = 0;

  /* the bars are drawn in RGB, then converted by swscale with `matrix` */
  for (guint i = 0; i < 8; i++)
    g_string_append_printf (graph, "color=c=0x%06x:s=%dx%d:r=25:d=1,format=rgb24[b%u];",
                            BAR_COLOURS[i], bar_w, height, i);
  for (guint i = 0; i < 8; i++)
    g_string_append_printf (graph, "[b%u]", i);
  g_string_append_printf (graph, "hstack=inputs=8,scale=out_color_matrix=%s:out_range=tv,format=yuv420p[v]",
                          matrix);
  ave_test_sh ("ffmpeg -v error -nostdin -y -filter_complex '%s' -map '[v]' "
               "-c:v libx264 -preset ultrafast -qp 0 %s '%s'", graph->str, tags, source);

  analysis = analysis_with_candidates (source, &candidate, 1);
  plan = ave_plan_new (source, 1.0);
  g_assert_true (ave_plan_append_segment (plan, &keep));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  settings->thumbnail_count = 1;
  settings->thumbnail_width = tw;
  g_assert_true (ave_thumbnails_write (analysis, plan, settings, dir, paths, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 1);

  {
    g_autoptr(GHashTable) image = probe_image (g_ptr_array_index (paths, 0));
    g_assert_cmpstr (g_hash_table_lookup (image, "width"), ==, "320");
    th = atoi (g_hash_table_lookup (image, "height"));
  }
  raw = g_strconcat (g_ptr_array_index (paths, 0), ".rgb", NULL);
  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -f rawvideo -pix_fmt rgb24 '%s'",
               (const char *) g_ptr_array_index (paths, 0), raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  g_assert_cmpuint (length, ==, (gsize) tw * th * 3);
  g_unlink (raw);

  for (guint i = 0; i < 8; i++)
    {
      /* the middle of the bar, well away from its edges */
      const guint8 *p = (const guint8 *) data + ((gsize) (th / 2) * tw + (gsize) (tw / 8) * i + tw / 16) * 3;

      for (int c = 0; c < 3; c++)
        {
          int want = (BAR_COLOURS[i] >> (16 - 8 * c)) & 0xff;
          worst = MAX (worst, abs (p[c] - want));
        }
      g_test_message ("%s bar %06x: got %02x%02x%02x", name, BAR_COLOURS[i], p[0], p[1], p[2]);
    }
  g_test_message ("%s: largest error %d levels", name, worst);
  /* 8-bit limited range, 4:2:0 and the JPEG's quantisation: a few levels */
  g_assert_cmpint (worst, <=, 6);
}

static void
test_thumbnails_colours (void)
{
  check_bars_thumbnail ("bars-hd", 1920, 1080, "bt709",
                        "-colorspace bt709 -color_primaries bt709 -color_trc bt709");
  check_bars_thumbnail ("bars-sd", 720, 480, "bt601",
                        "-colorspace smpte170m -color_primaries smpte170m -color_trc smpte170m");
  /* untagged: FFmpeg's convention, BT.709 from 720 lines up, BT.601 below */
  check_bars_thumbnail ("bars-hd-untagged", 1280, 720, "bt709", "");
  check_bars_thumbnail ("bars-sd-untagged", 640, 360, "bt601", "");
}

static void
test_thumbnails_none (void)
{
  g_autofree char *source = ave_test_path ("speech-only.mp4");
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ave_test_path ("thumbs-none");
  AveSegment keep = { .start = 0.0, .end = 3.0, .enabled = TRUE };
  const char *name;
  g_autoptr(GDir) d = NULL;

  ave_test_sh ("ffmpeg -v error -nostdin -y -f lavfi -i sine=f=300:d=3 -c:a aac '%s'", source);
  analysis = analysis_with_candidates (source, NULL, 0);
  plan = ave_plan_new (source, 3.0);
  g_assert_true (ave_plan_append_segment (plan, &keep));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);

  g_assert_true (ave_thumbnails_write (analysis, plan, settings, dir, paths, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 0);
  d = g_dir_open (dir, 0, NULL);
  name = g_dir_read_name (d);
  g_assert_null (name);
}

static void
test_thumbnails_cancel (void)
{
  const char *source = thumb_source ();
  const AveThumbnailCandidate candidates[] = { { .time = 1.0, .score = 1.0 }, { .time = 5.0, .score = 0.5 } };
  g_autoptr(AveAnalysis) analysis = analysis_with_candidates (source, candidates, G_N_ELEMENTS (candidates));
  g_autoptr(AvePlan) plan = ave_plan_new (source, 10.0);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ave_test_path ("thumbs-cancel");
  AveSegment keep = { .start = 0.0, .end = 10.0, .enabled = TRUE };

  g_assert_true (ave_plan_append_segment (plan, &keep));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_cancellable_cancel (cancellable);
  g_assert_false (ave_thumbnails_write (analysis, plan, settings, dir, paths, NULL, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (paths->len, ==, 0);
}


/* Issue #14: tags_seen held pointers into the file-name words, freed before
 * the content type was looked up in it (a heap use after free that
 * AddressSanitizer reports; without it the freed "music" no longer
 * compares equal and the tag is listed twice). */
static void
test_metadata_music_tags (void)
{
  g_autoptr(AveAnalysis) analysis = ave_analysis_new ("/videos/music_video.mp4", NULL);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(JsonNode) metadata = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *tags;

  settings->content_type = AVE_CONTENT_MUSIC;
  metadata = ave_metadata_build (analysis, NULL, settings);
  g_assert_nonnull (metadata);
  tags = json_object_get_array_member (json_node_get_object (metadata), "tags");
  g_assert_nonnull (tags);
  for (guint i = 0; i < json_array_get_length (tags); i++)
    {
      const char *tag = json_array_get_string_element (tags, i);

      if (!g_hash_table_add (seen, (gpointer) tag))
        g_error ("tag \"%s\" listed twice", tag);
    }
  /* From the file name, and the content type once. */
  g_assert_true (g_hash_table_contains (seen, "music"));
  g_assert_true (g_hash_table_contains (seen, "video"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (metadata), "content_type"), ==, "music");
}

/* metadata.json names the language the transcript is in, and a music title
 * claims nothing the analysis does not know (no "(Live)"). */
static void
test_metadata_language_and_titles (void)
{
  g_autoptr(AveAnalysis) analysis = ave_analysis_new ("/videos/concert.mp4", NULL);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(JsonNode) metadata = NULL;
  JsonObject *object;
  JsonArray *titles;
  AveWord word = { .start = 1.0, .end = 1.4, .confidence = 0.9 };

  word.word = g_strdup ("hallo");
  g_array_append_val (analysis->words, word);
  analysis->language = g_strdup ("de");
  settings->content_type = AVE_CONTENT_MUSIC;
  metadata = ave_metadata_build (analysis, NULL, settings);
  object = json_node_get_object (metadata);
  g_assert_cmpstr (json_object_get_string_member (object, "language"), ==, "de");
  titles = json_object_get_array_member (object, "titles");
  g_assert_cmpuint (json_array_get_length (titles), >=, 1);
  for (guint i = 0; i < json_array_get_length (titles); i++)
    {
      const char *title = json_array_get_string_element (titles, i);
      g_assert_null (strstr (title, "(Live)"));
      g_assert_null (strstr (title, "(Music Video)"));
    }
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);

  g_test_add_func ("/engine/assets/metadata/music-tags", test_metadata_music_tags);
  g_test_add_func ("/engine/assets/metadata/language-and-titles", test_metadata_language_and_titles);
  g_test_add_func ("/engine/assets/thumbnails/choice", test_thumbnails_choice);
  g_test_add_func ("/engine/assets/thumbnails/count", test_thumbnails_count_and_spacing);
  g_test_add_func ("/engine/assets/thumbnails/signatures", test_thumbnails_signatures);
  g_test_add_func ("/engine/assets/thumbnails/signature", test_thumbnail_signature);
  g_test_add_func ("/engine/assets/thumbnails/rotated", test_thumbnails_rotated);
  g_test_add_func ("/engine/assets/thumbnails/colours", test_thumbnails_colours);
  g_test_add_func ("/engine/assets/thumbnails/none", test_thumbnails_none);
  g_test_add_func ("/engine/assets/thumbnails/cancel", test_thumbnails_cancel);
  return g_test_run ();
}
