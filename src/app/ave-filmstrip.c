#define G_LOG_DOMAIN "ave-filmstrip"

#include "config.h"

#include <math.h>
#include <string.h>

#include "media/ave-media.h"
#include "ave-filmstrip.h"

/* Peaks: 8 kHz mono is plenty for a picture of the speech, and 200
 * buckets a second still draws one bucket per pixel at the deepest zoom
 * the timeline offers. */
#define PEAK_RATE        8000
#define BUCKETS_PER_SEC  200
#define SAMPLES_PER_BUCKET (PEAK_RATE / BUCKETS_PER_SEC)
/* Requests beyond this are the oldest, scrolled out of view long ago. */
#define MAX_PENDING      256

/* State the worker threads share with the object; it outlives the object
 * until both threads have stopped. */
typedef struct
{
  gatomicrefcount ref;
  GMutex          lock;
  GCond           cond;
  gboolean        stop;
  GArray         *pending;    /* gint64 ms, newest last */
  char           *path;
  int             width, height;
  GWeakRef        owner;
} Shared;

struct _AveFilmstrip
{
  GObject     parent_instance;

  Shared     *shared;
  GThread    *thumb_thread;
  GThread    *peak_thread;
  GHashTable *textures;       /* gint64 ms -> GdkTexture (NULL: undecodable) */
  GHashTable *requested;      /* gint64 ms set: queued or done */
  GArray     *peak_min;       /* float per bucket */
  GArray     *peak_max;
  guint       updated_idle;
};

G_DEFINE_FINAL_TYPE (AveFilmstrip, ave_filmstrip, G_TYPE_OBJECT)

enum { UPDATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static Shared *
shared_ref (Shared *shared)
{
  g_atomic_ref_count_inc (&shared->ref);
  return shared;
}

static void
shared_unref (Shared *shared)
{
  if (!g_atomic_ref_count_dec (&shared->ref))
    return;
  g_mutex_clear (&shared->lock);
  g_cond_clear (&shared->cond);
  g_array_unref (shared->pending);
  g_free (shared->path);
  g_weak_ref_clear (&shared->owner);
  g_free (shared);
}

static gboolean
shared_stopping (Shared *shared)
{
  gboolean stop;

  g_mutex_lock (&shared->lock);
  stop = shared->stop;
  g_mutex_unlock (&shared->lock);
  return stop;
}

/* Many pictures arrive in a burst; one redraw serves them all. */
static gboolean
emit_updated (gpointer data)
{
  AveFilmstrip *self = data;

  self->updated_idle = 0;
  g_signal_emit (self, signals[UPDATED], 0);
  return G_SOURCE_REMOVE;
}

static void
queue_updated (AveFilmstrip *self)
{
  if (self->updated_idle == 0)
    self->updated_idle = g_timeout_add (30, emit_updated, self);
}

/* ------------------------------------------------------------ thumbnails */

typedef struct
{
  Shared *shared;
  gint64  key;
  GBytes *rgb;      /* NULL: nothing to show there */
  int     width, height;
} ThumbDelivery;

static void
thumb_delivery_free (gpointer data)
{
  ThumbDelivery *delivery = data;

  shared_unref (delivery->shared);
  g_clear_pointer (&delivery->rgb, g_bytes_unref);
  g_free (delivery);
}

static gboolean
deliver_thumb (gpointer data)
{
  ThumbDelivery *delivery = data;
  g_autoptr(AveFilmstrip) self = g_weak_ref_get (&delivery->shared->owner);
  GdkTexture *texture = NULL;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  if (delivery->rgb != NULL)
    texture = gdk_memory_texture_new (delivery->width, delivery->height,
                                      GDK_MEMORY_R8G8B8, delivery->rgb,
                                      delivery->width * 3);
  g_hash_table_insert (self->textures, g_memdup2 (&delivery->key, sizeof (gint64)), texture);
  queue_updated (self);
  return G_SOURCE_REMOVE;
}

static inline guint8
clamp_byte (int value)
{
  return (guint8) CLAMP (value, 0, 255);
}

/* BT.601 limited range, the usual for the small H.264 frames FFmpeg scales
 * to; close enough for a thumbnail of any source. */
static GBytes *
frame_to_rgb (const AvePicture *frame)
{
  int width = frame->width, height = frame->height;
  guint8 *rgb = g_malloc ((gsize) width * height * 3);

  for (int y = 0; y < height; y++)
    {
      const guint8 *py = frame->y + (gsize) y * frame->y_stride;
      const guint8 *pu = frame->u + (gsize) (y / 2) * frame->uv_stride;
      const guint8 *pv = frame->v + (gsize) (y / 2) * frame->uv_stride;
      guint8 *out = rgb + (gsize) y * width * 3;

      for (int x = 0; x < width; x++)
        {
          int c = 298 * (py[x] - 16);
          int d = pu[x / 2] - 128;
          int e = pv[x / 2] - 128;

          out[3 * x + 0] = clamp_byte ((c + 409 * e + 128) >> 8);
          out[3 * x + 1] = clamp_byte ((c - 100 * d - 208 * e + 128) >> 8);
          out[3 * x + 2] = clamp_byte ((c + 516 * d + 128) >> 8);
        }
    }
  return g_bytes_new_take (rgb, (gsize) width * height * 3);
}

static gpointer
thumb_thread_main (gpointer data)
{
  Shared *shared = data;
  g_autoptr(AveMediaSource) source = NULL;
  gboolean open_failed = FALSE;

  for (;;)
    {
      ThumbDelivery *delivery;
      g_autoptr(GError) error = NULL;
      gint64 key;

      g_mutex_lock (&shared->lock);
      while (!shared->stop && shared->pending->len == 0)
        g_cond_wait (&shared->cond, &shared->lock);
      if (shared->stop)
        {
          g_mutex_unlock (&shared->lock);
          break;
        }
      key = g_array_index (shared->pending, gint64, shared->pending->len - 1);
      g_array_set_size (shared->pending, shared->pending->len - 1);
      g_mutex_unlock (&shared->lock);

      delivery = g_new0 (ThumbDelivery, 1);
      delivery->shared = shared_ref (shared);
      delivery->key = key;

      if (source == NULL && !open_failed)
        {
          AveMediaSourceOptions options = {
            .want_video = TRUE,
            .video_width = shared->width,
            .video_height = shared->height,
            .apply_rotation = TRUE,
            .decoder_threads = 1,
          };

          source = ave_media_source_open (shared->path, &options, &error);
          if (source == NULL)
            {
              /* The timeline then shows no pictures; the app reports
               * unreadable files when it opens them. */
              g_debug ("No thumbnails for %s: %s", shared->path, error->message);
              open_failed = TRUE;
              g_clear_error (&error);
            }
        }

      if (source != NULL && ave_media_source_seek (source, key / 1000.0, &error))
        {
          g_autoptr(AvePicture) frame = ave_media_source_read_picture (source, &error);

          if (frame != NULL)
            {
              delivery->rgb = frame_to_rgb (frame);
              delivery->width = frame->width;
              delivery->height = frame->height;
            }
        }
      if (error != NULL)
        g_debug ("No thumbnail at %.3f s: %s", key / 1000.0, error->message);

      g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT_IDLE, deliver_thumb,
                                  delivery, thumb_delivery_free);
    }

  shared_unref (shared);
  return NULL;
}

/* ----------------------------------------------------------------- peaks */

typedef struct
{
  Shared *shared;
  gsize   first;     /* bucket index of min[0] */
  GArray *min, *max;
} PeakDelivery;

static void
peak_delivery_free (gpointer data)
{
  PeakDelivery *delivery = data;

  shared_unref (delivery->shared);
  g_array_unref (delivery->min);
  g_array_unref (delivery->max);
  g_free (delivery);
}

static gboolean
deliver_peaks (gpointer data)
{
  PeakDelivery *delivery = data;
  g_autoptr(AveFilmstrip) self = g_weak_ref_get (&delivery->shared->owner);
  gsize end;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  end = delivery->first + delivery->min->len;
  if (self->peak_min->len < end)
    {
      g_array_set_size (self->peak_min, end);
      g_array_set_size (self->peak_max, end);
    }
  memcpy (&g_array_index (self->peak_min, float, delivery->first),
          delivery->min->data, delivery->min->len * sizeof (float));
  memcpy (&g_array_index (self->peak_max, float, delivery->first),
          delivery->max->data, delivery->max->len * sizeof (float));
  queue_updated (self);
  return G_SOURCE_REMOVE;
}

static void
send_peaks (Shared *shared,
            GArray *min,
            GArray *max,
            gsize   from)
{
  PeakDelivery *delivery;

  if (from >= min->len)
    return;

  delivery = g_new0 (PeakDelivery, 1);
  delivery->shared = shared_ref (shared);
  delivery->first = from;
  delivery->min = g_array_sized_new (FALSE, FALSE, sizeof (float), min->len - from);
  delivery->max = g_array_sized_new (FALSE, FALSE, sizeof (float), min->len - from);
  g_array_append_vals (delivery->min, &g_array_index (min, float, from), min->len - from);
  g_array_append_vals (delivery->max, &g_array_index (max, float, from), min->len - from);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT_IDLE, deliver_peaks,
                              delivery, peak_delivery_free);
}

static gpointer
peak_thread_main (gpointer data)
{
  Shared *shared = data;
  AveMediaSourceOptions options = {
    .want_audio = TRUE,
    .audio_rate = PEAK_RATE,
    .audio_channels = 1,
    .decoder_threads = 1,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaSource) source = ave_media_source_open (shared->path, &options, &error);
  g_autoptr(GArray) min = g_array_new (FALSE, TRUE, sizeof (float));
  g_autoptr(GArray) max = g_array_new (FALSE, TRUE, sizeof (float));
  gsize sent = 0;
  gint64 last_send = g_get_monotonic_time ();

  if (source == NULL || !ave_media_source_get_info (source)->has_audio)
    {
      g_debug ("No waveform for %s: %s", shared->path,
               error != NULL ? error->message : "no audio");
      shared_unref (shared);
      return NULL;
    }

  while (!shared_stopping (shared))
    {
      g_autoptr(AveSound) frame = ave_media_source_read_sound (source, &error);
      const float *samples;
      gint64 first_sample;

      if (frame == NULL)
        break;

      samples = frame->planes[0];
      first_sample = (gint64) llround (frame->pts * PEAK_RATE);
      for (int i = 0; i < frame->n_samples; i++)
        {
          gint64 bucket = (first_sample + i) / SAMPLES_PER_BUCKET;
          guint old_len = min->len;

          if (bucket < 0)
            continue;
          if ((guint64) bucket >= min->len)
            {
              g_array_set_size (min, bucket + 1);
              g_array_set_size (max, bucket + 1);
              for (guint b = old_len; b < min->len; b++)
                g_array_index (min, float, b) = g_array_index (max, float, b) = 0.0f;
            }
          g_array_index (min, float, bucket) = MIN (g_array_index (min, float, bucket), samples[i]);
          g_array_index (max, float, bucket) = MAX (g_array_index (max, float, bucket), samples[i]);
        }

      /* Hand over what is done a few times a second, so the waveform of a
       * long file fills in while it is read.  The last bucket may still
       * grow: it is sent again next time. */
      if (g_get_monotonic_time () - last_send > G_USEC_PER_SEC / 4 && min->len > 1)
        {
          send_peaks (shared, min, max, sent);
          sent = min->len - 1;
          last_send = g_get_monotonic_time ();
        }
    }
  if (error != NULL)
    g_debug ("Waveform of %s stops early: %s", shared->path, error->message);
  send_peaks (shared, min, max, sent);

  shared_unref (shared);
  return NULL;
}

/* ------------------------------------------------------------- the object */

static void
texture_unref (gpointer texture)
{
  if (texture != NULL)
    g_object_unref (texture);
}

static void
ave_filmstrip_dispose (GObject *object)
{
  AveFilmstrip *self = AVE_FILMSTRIP (object);

  if (self->shared != NULL)
    {
      g_mutex_lock (&self->shared->lock);
      self->shared->stop = TRUE;
      g_cond_broadcast (&self->shared->cond);
      g_mutex_unlock (&self->shared->lock);
      /* Each thread finishes at most one frame before it sees `stop`. */
      g_clear_pointer (&self->thumb_thread, g_thread_join);
      g_clear_pointer (&self->peak_thread, g_thread_join);
      g_clear_pointer (&self->shared, shared_unref);
    }
  g_clear_handle_id (&self->updated_idle, g_source_remove);
  g_clear_pointer (&self->textures, g_hash_table_unref);
  g_clear_pointer (&self->requested, g_hash_table_unref);
  g_clear_pointer (&self->peak_min, g_array_unref);
  g_clear_pointer (&self->peak_max, g_array_unref);

  G_OBJECT_CLASS (ave_filmstrip_parent_class)->dispose (object);
}

static void
ave_filmstrip_class_init (AveFilmstripClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ave_filmstrip_dispose;

  signals[UPDATED] = g_signal_new ("updated", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
ave_filmstrip_init (AveFilmstrip *self)
{
  self->textures = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, texture_unref);
  self->requested = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->peak_min = g_array_new (FALSE, TRUE, sizeof (float));
  self->peak_max = g_array_new (FALSE, TRUE, sizeof (float));
}

AveFilmstrip *
ave_filmstrip_new (const char *path,
                   int         thumb_width,
                   int         thumb_height)
{
  AveFilmstrip *self;
  Shared *shared;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (AVE_TYPE_FILMSTRIP, NULL);
  shared = g_new0 (Shared, 1);
  g_atomic_ref_count_init (&shared->ref);
  g_mutex_init (&shared->lock);
  g_cond_init (&shared->cond);
  shared->pending = g_array_new (FALSE, FALSE, sizeof (gint64));
  shared->path = g_strdup (path);
  shared->width = MAX (2, thumb_width & ~1);
  shared->height = MAX (2, thumb_height & ~1);
  g_weak_ref_init (&shared->owner, self);
  self->shared = shared;

  self->thumb_thread = g_thread_new ("ave-filmstrip", thumb_thread_main, shared_ref (shared));
  self->peak_thread = g_thread_new ("ave-waveform", peak_thread_main, shared_ref (shared));
  return self;
}

const char *
ave_filmstrip_get_path (AveFilmstrip *self)
{
  g_return_val_if_fail (AVE_IS_FILMSTRIP (self), NULL);

  return self->shared->path;
}

static gint64
grid_key (double time,
          double step)
{
  return (gint64) llround (floor (time / step + 1e-6) * step * 1000.0);
}

GdkTexture *
ave_filmstrip_lookup (AveFilmstrip *self,
                      double        time,
                      double        step)
{
  GdkTexture *texture;
  gint64 key;

  g_return_val_if_fail (AVE_IS_FILMSTRIP (self), NULL);

  if (!isfinite (time) || !(step > 0.0))
    return NULL;

  key = grid_key (MAX (0.0, time), step);
  texture = g_hash_table_lookup (self->textures, &key);
  if (texture != NULL)
    return texture;

  if (!g_hash_table_contains (self->requested, &key))
    {
      g_hash_table_add (self->requested, g_memdup2 (&key, sizeof key));
      g_mutex_lock (&self->shared->lock);
      g_array_append_val (self->shared->pending, key);
      if (self->shared->pending->len > MAX_PENDING)
        {
          gint64 dropped = g_array_index (self->shared->pending, gint64, 0);

          g_array_remove_index (self->shared->pending, 0);
          g_hash_table_remove (self->requested, &dropped);
        }
      g_cond_signal (&self->shared->cond);
      g_mutex_unlock (&self->shared->lock);
    }

  /* Zooming in keeps showing the coarser pictures until the new ones
   * arrive: grids are powers of two apart, so they share points. */
  for (double coarse = step * 2; coarse <= step * 64; coarse *= 2)
    {
      gint64 coarse_key = grid_key (MAX (0.0, time), coarse);

      texture = g_hash_table_lookup (self->textures, &coarse_key);
      if (texture != NULL)
        return texture;
    }
  return NULL;
}

void
ave_filmstrip_drop_requests (AveFilmstrip *self)
{
  g_return_if_fail (AVE_IS_FILMSTRIP (self));

  g_mutex_lock (&self->shared->lock);
  for (guint i = 0; i < self->shared->pending->len; i++)
    g_hash_table_remove (self->requested, &g_array_index (self->shared->pending, gint64, i));
  g_array_set_size (self->shared->pending, 0);
  g_mutex_unlock (&self->shared->lock);
}

gboolean
ave_filmstrip_get_peaks (AveFilmstrip *self,
                         double        start,
                         double        end,
                         float        *min_out,
                         float        *max_out)
{
  gint64 first, last;
  float lo = 0.0f, hi = 0.0f;

  g_return_val_if_fail (AVE_IS_FILMSTRIP (self), FALSE);

  first = (gint64) floor (start * BUCKETS_PER_SEC);
  last = (gint64) ceil (end * BUCKETS_PER_SEC);
  first = MAX (first, 0);
  if (last <= first)
    last = first + 1;
  if ((guint64) first >= self->peak_min->len)
    return FALSE;
  last = MIN (last, (gint64) self->peak_min->len);

  for (gint64 b = first; b < last; b++)
    {
      lo = MIN (lo, g_array_index (self->peak_min, float, b));
      hi = MAX (hi, g_array_index (self->peak_max, float, b));
    }
  *min_out = lo;
  *max_out = hi;
  return TRUE;
}

double
ave_filmstrip_get_peaks_end (AveFilmstrip *self)
{
  g_return_val_if_fail (AVE_IS_FILMSTRIP (self), 0.0);

  return (double) self->peak_min->len / BUCKETS_PER_SEC;
}
