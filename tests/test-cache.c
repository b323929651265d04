/* test-cache.c — the content-addressed analysis cache: keys follow content
 * and parameters (never names), a second identical analysis is a hit,
 * damaged entries are detected and recomputed, eviction keeps the bound in
 * LRU (or cost) order, and two processes writing at once corrupt nothing. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "ave-test-util.h"
#include "pipeline/ave-job.h"
#include "resources/ave-cache.h"

static void
write_random_file (const char *path, gsize size, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  g_assert_true (g_file_set_contents (path, (const char *) data, size, NULL));
}

static void
flip_byte (const char *path, goffset offset)
{
  g_autofree char *data = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  g_assert_cmpint (offset, <, (goffset) length);
  data[offset] ^= 0x5a;
  g_assert_true (g_file_set_contents (path, data, length, NULL));
}

static void
test_keys (void)
{
  g_autofree char *a = ave_test_path ("key-a.bin");
  g_autofree char *b = ave_test_path ("other-name.mov");
  g_autofree char *fa = NULL, *fb = NULL, *fc = NULL, *fd = NULL;
  g_autofree char *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL;
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveSettings) other = ave_settings_new ();
  g_autoptr(GError) error = NULL;

  /* 5 MiB: large enough that only edges and spaced blocks are read. */
  write_random_file (a, 5 << 20, 1);
  ave_test_sh ("cp '%s' '%s' && touch -d '2001-01-01' '%s'", a, b, b);
  fa = ave_cache_fingerprint_file (a, &error);
  g_assert_no_error (error);
  fb = ave_cache_fingerprint_file (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (fa), ==, 64);
  /* Another name and mtime, same content: same fingerprint. */
  g_assert_cmpstr (fa, ==, fb);

  /* A change in the first MiB, in a sampled middle block, in the size. */
  flip_byte (b, 1000);
  fc = ave_cache_fingerprint_file (b, NULL);
  g_assert_cmpstr (fa, !=, fc);
  flip_byte (b, 1000);
  flip_byte (b, (5 << 20) - 10);
  fd = ave_cache_fingerprint_file (b, NULL);
  g_assert_cmpstr (fa, !=, fd);
  g_assert_cmpstr (fc, !=, fd);

  g_assert_null (ave_cache_fingerprint_file ("/nonexistent/file.mp4", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Parameters that change analysis.json change the key; others do not. */
  k1 = ave_cache_analysis_key (fa, settings);
  k2 = ave_cache_analysis_key (fa, other);
  g_assert_cmpstr (k1, ==, k2);
  other->crf = 40;                       /* composition only */
  other->encoder_preset = (g_free (other->encoder_preset), g_strdup ("ultrafast"));
  g_free (k2);
  k2 = ave_cache_analysis_key (fa, other);
  g_assert_cmpstr (k1, ==, k2);
  other->analysis_width = settings->analysis_width / 2;
  k3 = ave_cache_analysis_key (fa, other);
  g_assert_cmpstr (k1, !=, k3);
  other->analysis_width = settings->analysis_width;
  other->silence_threshold_db -= 5;
  k4 = ave_cache_analysis_key (fa, other);
  g_assert_cmpstr (k1, !=, k4);
  g_assert_cmpstr (k3, !=, k4);
  {
    g_autofree char *k5 = ave_cache_analysis_key (fc, settings);
    g_assert_cmpstr (k5, !=, k1);
  }
}

typedef struct
{
  gboolean hit_notice;
  gboolean miss_notice;
  gboolean skipped[AVE_N_STAGES];
  gboolean ended[AVE_N_STAGES];
} CacheEvents;

static void
on_event (const AveEvent *event, gpointer user_data)
{
  CacheEvents *e = user_data;

  if (event->kind == AVE_EVENT_NOTICE && g_str_equal (event->message, "analysis: cache miss"))
    e->miss_notice = TRUE;
  if (event->kind == AVE_EVENT_NOTICE && g_str_has_prefix (event->message, "analysis: cache hit"))
    e->hit_notice = TRUE;
  if (event->kind == AVE_EVENT_STAGE_END)
    {
      e->ended[event->stage] = TRUE;
      e->skipped[event->stage] = event->skipped;
    }
}

static AveAnalysis *
analyze (const char *input, const char *cache_dir, const char *out_name, CacheEvents *events, double *seconds)
{
  g_autofree char *outdir = ave_test_path (out_name);
  g_autoptr(AveSettings) settings = ave_settings_new ();
  g_autoptr(AveJob) job = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  settings->persistent_cache = TRUE;
  settings->cache_dir = g_strdup (cache_dir);
  job = ave_job_new (AVE_JOB_ANALYZE, input, outdir, settings);
  memset (events, 0, sizeof *events);
  ave_job_set_event_func (job, on_event, events, NULL);
  start = g_get_monotonic_time ();
  g_assert_true (ave_job_run (job, NULL, &error));
  g_assert_no_error (error);
  if (seconds != NULL)
    *seconds = (g_get_monotonic_time () - start) / 1e6;
  return ave_analysis_ref (ave_job_get_analysis (job));
}

static char *
only_entry (const char *dir, const char *suffix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *found = NULL;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, suffix))
      {
        g_assert_null (found);
        found = g_build_filename (dir, name, NULL);
      }
  g_assert_nonnull (found);
  return found;
}

static void
test_hit_and_corruption (void)
{
  const char *sample = ave_test_sample ("cache.mp4", 6, 320, 180);
  g_autofree char *cache_dir = ave_test_path ("cache-hit");
  g_autofree char *renamed = ave_test_path ("renamed-copy.mp4");
  g_autofree char *entry = NULL;
  g_autoptr(AveAnalysis) first = NULL;
  g_autoptr(AveAnalysis) second = NULL;
  g_autoptr(AveAnalysis) third = NULL;
  g_autoptr(AveAnalysis) fourth = NULL;
  CacheEvents events;
  double t_first, t_second;

  first = analyze (sample, cache_dir, "hit-1", &events, &t_first);
  g_assert_true (events.miss_notice);
  g_assert_false (events.hit_notice);
  g_assert_false (events.skipped[AVE_STAGE_AUDIO_ANALYSIS]);
  g_assert_false (events.skipped[AVE_STAGE_VIDEO_ANALYSIS]);
  entry = only_entry (cache_dir, "-analysis.entry");

  second = analyze (sample, cache_dir, "hit-2", &events, &t_second);
  g_assert_true (events.hit_notice);
  g_assert_true (events.ended[AVE_STAGE_AUDIO_ANALYSIS] && events.skipped[AVE_STAGE_AUDIO_ANALYSIS]);
  g_assert_true (events.ended[AVE_STAGE_VIDEO_ANALYSIS] && events.skipped[AVE_STAGE_VIDEO_ANALYSIS]);
  g_assert_cmpuint (second->shots->len, ==, first->shots->len);
  g_assert_cmpuint (second->words->len, ==, first->words->len);
  g_assert_cmpuint (second->silences->len, ==, first->silences->len);
  g_assert_cmpfloat (second->loudness.integrated_lufs, ==, first->loudness.integrated_lufs);
  g_test_message ("first analysis %.3f s, cached %.3f s (%.3fx)", t_first, t_second, t_second / t_first);
  g_assert_cmpfloat (t_second, <=, 0.5 * t_first);

  /* The same content under another name is the same entry. */
  ave_test_sh ("cp '%s' '%s'", sample, renamed);
  third = analyze (renamed, cache_dir, "hit-3", &events, NULL);
  g_assert_true (events.hit_notice);
  g_assert_cmpstr (third->source, ==, renamed);
  g_assert_cmpstr (third->media->path, ==, renamed);

  /* A flipped payload byte fails the checksum: removed, recomputed, stored again. */
  flip_byte (entry, 400);
  fourth = analyze (sample, cache_dir, "hit-4", &events, NULL);
  g_assert_true (events.miss_notice);
  g_assert_false (events.hit_notice);
  g_assert_false (events.skipped[AVE_STAGE_VIDEO_ANALYSIS]);
  g_assert_cmpuint (fourth->shots->len, ==, first->shots->len);
  g_clear_pointer (&fourth, ave_analysis_unref);
  fourth = analyze (sample, cache_dir, "hit-5", &events, NULL);
  g_assert_true (events.hit_notice);

  /* A truncated entry (a crash while copying, a full disk) likewise. */
  ave_test_sh ("truncate -s 2000 '%s'", entry);
  g_clear_pointer (&fourth, ave_analysis_unref);
  fourth = analyze (sample, cache_dir, "hit-6", &events, NULL);
  g_assert_true (events.miss_notice);
  {
    g_autoptr(AveCache) cache = ave_cache_new (cache_dir, 0, AVE_CACHE_STRATEGY_LRU, NULL);
    g_autofree char *fp = ave_cache_fingerprint_file (sample, NULL);
    g_autoptr(AveSettings) settings = ave_settings_new ();
    g_autofree char *key = ave_cache_analysis_key (fp, settings);
    g_autoptr(AveAnalysis) direct = NULL;
    AveCacheStats stats;

    /* Garbage with a plausible name: a miss and counted as damaged. */
    ave_test_sh ("head -c 500 /dev/urandom > '%s'", entry);
    direct = ave_cache_lookup_analysis (cache, key, sample, NULL);
    g_assert_null (direct);
    ave_cache_get_stats (cache, &stats);
    g_assert_cmpuint (stats.corrupt, ==, 1);
    g_assert_cmpuint (stats.misses, ==, 1);
    g_assert_false (g_file_test (entry, G_FILE_TEST_EXISTS));
  }
}

static char *
make_payload (const char *name, gsize size, guint32 seed)
{
  char *path = ave_test_path (name);
  write_random_file (path, size, seed);
  return path;
}

static gboolean
entry_exists (const char *dir, const char *key, const char *kind)
{
  g_autofree char *name = g_strdup_printf ("%s-%s.entry", key, kind);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_eviction (gconstpointer data)
{
  AveCacheStrategy strategy = GPOINTER_TO_INT (data);
  g_autofree char *dir = ave_test_path (strategy == AVE_CACHE_STRATEGY_LRU ? "evict-lru" : "evict-cost");
  g_autofree char *out = ave_test_path (strategy == AVE_CACHE_STRATEGY_LRU ? "evict-lru-out" : "evict-cost-out");
  g_autofree char *payload = make_payload ("payload.bin", 100000, 7);
  const char *files[] = { payload, NULL };
  /* Room for three entries of ~100 kB, not four. */
  g_autoptr(AveCache) cache = ave_cache_new (dir, 350000, strategy, NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *keys[] = { "aaaa", "bbbb", "cccc", "dddd" };
  /* Seconds each took to compute: B is the most expensive. */
  const double costs[] = { 1.0, 9.0, 0.5, 2.0 };
  AveCacheStats stats;

  g_assert_nonnull (cache);
  g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (ave_cache_store_files (cache, keys[i], "render", files, costs[i], &error));
      g_assert_no_error (error);
      g_usleep (20000);
    }
  /* Use A: it is now the most recently used. */
  g_assert_true (ave_cache_lookup_files (cache, keys[0], "render", out, paths));
  g_assert_cmpuint (paths->len, ==, 1);
  {
    g_autofree char *a = NULL, *b = NULL;
    gsize la, lb;
    g_assert_true (g_file_get_contents (payload, &a, &la, NULL));
    g_assert_true (g_file_get_contents (g_ptr_array_index (paths, 0), &b, &lb, NULL));
    g_assert_cmpmem (a, la, b, lb);
  }
  g_usleep (20000);
  g_assert_true (ave_cache_store_files (cache, keys[3], "render", files, costs[3], &error));
  g_assert_no_error (error);

  ave_cache_get_stats (cache, &stats);
  g_assert_cmpuint (stats.evictions, ==, 1);
  g_assert_cmpuint (stats.size_bytes, <=, 350000);
  if (strategy == AVE_CACHE_STRATEGY_LRU)
    {
      /* B is the least recently used. */
      g_assert_false (entry_exists (dir, "bbbb", "render"));
      g_assert_true (entry_exists (dir, "aaaa", "render"));
      g_assert_true (entry_exists (dir, "cccc", "render"));
    }
  else
    {
      /* C was the cheapest to compute per byte. */
      g_assert_false (entry_exists (dir, "cccc", "render"));
      g_assert_true (entry_exists (dir, "aaaa", "render"));
      g_assert_true (entry_exists (dir, "bbbb", "render"));
    }
  g_assert_true (entry_exists (dir, "dddd", "render"));
}

/* Two processes store and read the same keys at once, many times over. */
static void
test_concurrent_writers (void)
{
  g_autofree char *dir = ave_test_path ("concurrent");
  g_autofree char *big = make_payload ("big.bin", 600000, 11);
  g_autofree char *small = make_payload ("small.bin", 3000, 12);
  pid_t children[2];

  for (guint c = 0; c < G_N_ELEMENTS (children); c++)
    {
      children[c] = fork ();
      g_assert_cmpint (children[c], >=, 0);
      if (children[c] == 0)
        {
          /* The bound forces evictions while the other process writes. */
          AveCache *cache = ave_cache_new (dir, 2000000, AVE_CACHE_STRATEGY_LRU, NULL);
          g_autofree char *out = g_strdup_printf ("%s-out-%u", dir, c);
          int bad = 0;

          g_mkdir_with_parents (out, 0755);
          for (guint i = 0; i < 40; i++)
            {
              const char *files[] = { (i + c) % 2 ? big : small, NULL };
              g_autofree char *key = g_strdup_printf ("k%u", i % 6);
              g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

              if (!ave_cache_store_files (cache, key, "render", files, 1.0, NULL))
                bad++;
              if (ave_cache_lookup_files (cache, key, "render", out, paths))
                {
                  g_autofree char *data = NULL;
                  gsize length;
                  /* Whoever won the race, the entry is whole. */
                  if (!g_file_get_contents (g_ptr_array_index (paths, 0), &data, &length, NULL)
                      || (length != 600000 && length != 3000))
                    bad++;
                }
            }
          {
            AveCacheStats stats;
            ave_cache_get_stats (cache, &stats);
            bad += stats.corrupt;
          }
          ave_cache_free (cache);
          _exit (bad == 0 ? 0 : 1);
        }
    }
  for (guint c = 0; c < G_N_ELEMENTS (children); c++)
    {
      int status;
      g_assert_cmpint (waitpid (children[c], &status, 0), ==, children[c]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }

  /* Afterwards every entry left is valid and no temporary file remains. */
  {
    g_autoptr(AveCache) cache = ave_cache_new (dir, 2000000, AVE_CACHE_STRATEGY_LRU, NULL);
    g_autofree char *out = g_strdup_printf ("%s-check", dir);
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    guint found = 0;
    AveCacheStats stats;

    g_mkdir_with_parents (out, 0755);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_assert_false (g_str_has_prefix (name, ".tmp-"));
        if (g_str_has_suffix (name, "-render.entry"))
          {
            g_autofree char *key = g_strndup (name, strlen (name) - strlen ("-render.entry"));
            g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
            g_assert_true (ave_cache_lookup_files (cache, key, "render", out, paths));
            found++;
          }
      }
    g_assert_cmpuint (found, >, 0);
    ave_cache_get_stats (cache, &stats);
    g_assert_cmpuint (stats.corrupt, ==, 0);
  }
}

typedef struct
{
  gboolean render_hit;
  gboolean thumbnails_hit;
} RenderEvents;

static void
on_render_event (const AveEvent *event, gpointer user_data)
{
  RenderEvents *e = user_data;

  if (event->kind != AVE_EVENT_NOTICE)
    return;
  e->render_hit |= g_str_has_prefix (event->message, "composition: cache hit");
  e->thumbnails_hit |= g_str_has_prefix (event->message, "thumbnails: cache hit");
}

/* --aggressive-caching: the same plan with the same encoder settings reuses
 * the earlier render and thumbnails, byte for byte. */
static void
test_aggressive_caching (void)
{
  const char *sample = ave_test_sample ("cache.mp4", 6, 320, 180);
  g_autofree char *cache_dir = ave_test_path ("cache-aggressive");
  char *finals[3] = { NULL };
  RenderEvents events[3] = { { 0 } };

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("aggressive-%u", i);
      g_autofree char *outdir = ave_test_path (name);
      g_autoptr(AveSettings) settings = ave_settings_new ();
      g_autoptr(AveJob) job = NULL;
      g_autoptr(GError) error = NULL;

      settings->persistent_cache = TRUE;
      settings->aggressive_caching = TRUE;
      settings->cache_dir = g_strdup (cache_dir);
      /* The third run changes the encoder: the render must not be reused. */
      if (i == 2)
        settings->crf += 6;
      job = ave_job_new (AVE_JOB_PROCESS, sample, outdir, settings);
      ave_job_set_event_func (job, on_render_event, &events[i], NULL);
      g_assert_true (ave_job_run (job, NULL, &error));
      g_assert_no_error (error);
      finals[i] = g_build_filename (ave_job_get_output_dir (job), "final.mp4", NULL);
    }
  g_assert_false (events[0].render_hit);
  g_assert_false (events[0].thumbnails_hit);
  g_assert_true (events[1].render_hit);
  g_assert_true (events[1].thumbnails_hit);
  g_assert_false (events[2].render_hit);
  g_assert_true (events[2].thumbnails_hit);
  {
    g_autofree char *a = NULL, *b = NULL, *c = NULL;
    gsize la, lb, lc;
    g_assert_true (g_file_get_contents (finals[0], &a, &la, NULL));
    g_assert_true (g_file_get_contents (finals[1], &b, &lb, NULL));
    g_assert_true (g_file_get_contents (finals[2], &c, &lc, NULL));
    g_assert_cmpmem (a, la, b, lb);
    g_assert_cmpuint (lc, <, la);   /* higher CRF, smaller file: really re-encoded */
  }
  for (guint i = 0; i < 3; i++)
    g_free (finals[i]);
}

/* --cache without --persistent-cache: one private folder for the whole
 * command, so the second input (the same content) hits what the first
 * stored; nothing is left in the temporary folder afterwards. */
static void
test_per_run_cache (void)
{
  const char *sample = ave_test_ffmpeg_media ("per-run.mp4",
    "-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=300 -t 3 "
    "-c:v libx264 -pix_fmt yuv420p -c:a aac");
  g_autofree char *copy = ave_test_path ("per-run-copy.mp4");
  g_autofree char *out = ave_test_path ("per-run-out");
  g_autofree char *temp = ave_test_path ("per-run-temp");
  g_autofree char *events = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *hit;

  ave_test_sh ("cp '%s' '%s' && mkdir -p '%s'", sample, copy, temp);
  events = ave_test_sh_output ("'%s' analyze '%s' '%s' -o '%s' --cache --temp-dir '%s' --json",
                               ave_test_binary (), sample, copy, out, temp);
  hit = strstr (events, "analysis: cache hit");
  g_assert_nonnull (hit);
  /* The hit is the second input's. */
  g_assert_nonnull (g_strrstr_len (events, hit - events, "per-run-copy.mp4"));
  dir = g_dir_open (temp, 0, NULL);
  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_test_add_func ("/engine/cache/keys", test_keys);
  g_test_add_func ("/engine/cache/hit-and-corruption", test_hit_and_corruption);
  g_test_add_data_func ("/engine/cache/eviction-lru", GINT_TO_POINTER (AVE_CACHE_STRATEGY_LRU), test_eviction);
  g_test_add_data_func ("/engine/cache/eviction-intelligent", GINT_TO_POINTER (AVE_CACHE_STRATEGY_INTELLIGENT), test_eviction);
  g_test_add_func ("/engine/cache/concurrent-writers", test_concurrent_writers);
  g_test_add_func ("/engine/cache/aggressive-caching", test_aggressive_caching);
  g_test_add_func ("/cli/cache/per-run", test_per_run_cache);
  return g_test_run ();
}
