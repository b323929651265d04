#define G_LOG_DOMAIN "ave-edit-stream"

#include "config.h"

#include <math.h>
#include <string.h>

#include "core/ave-error.h"
#include "compute/ave-compute.h"
#include "ave-compose-private.h"
#include "ave-edit-stream.h"

#define OUTPUT_RATE 48000

/* Picture buffers of one size handed back by frames and their bytes,
 * shared by the stream and whatever still holds its pictures (so
 * reference-counted and locked: textures are freed on another thread). */
#define PICTURES_KEPT 12

typedef struct _AveEditPictures
{
  gatomicrefcount  ref;
  GMutex           lock;
  gsize            size;
  GPtrArray       *free;   /* of g_malloc'd buffers of `size` bytes */
} AveEditPictures;

static AveEditPictures *
pictures_new (void)
{
  AveEditPictures *p = g_new0 (AveEditPictures, 1);

  g_atomic_ref_count_init (&p->ref);
  g_mutex_init (&p->lock);
  p->free = g_ptr_array_new_with_free_func (g_free);
  return p;
}

static AveEditPictures *
pictures_ref (AveEditPictures *p)
{
  g_atomic_ref_count_inc (&p->ref);
  return p;
}

static void
pictures_unref (AveEditPictures *p)
{
  if (p == NULL || !g_atomic_ref_count_dec (&p->ref))
    return;
  g_ptr_array_unref (p->free);
  g_mutex_clear (&p->lock);
  g_free (p);
}

static guint8 *
pictures_get (AveEditPictures *p,
              gsize            size)
{
  guint8 *buf = NULL;

  g_mutex_lock (&p->lock);
  if (p->size != size)
    {
      /* another size (a new preview box): the old buffers are no use */
      g_ptr_array_set_size (p->free, 0);
      p->size = size;
    }
  else if (p->free->len > 0)
    buf = g_ptr_array_steal_index_fast (p->free, p->free->len - 1);
  g_mutex_unlock (&p->lock);
  return buf != NULL ? buf : g_malloc (size);
}

static void
pictures_put (AveEditPictures *p,
              guint8          *buf,
              gsize            size)
{
  g_mutex_lock (&p->lock);
  if (size == p->size && p->free->len < PICTURES_KEPT)
    g_ptr_array_add (p->free, g_steal_pointer (&buf));
  g_mutex_unlock (&p->lock);
  g_free (buf);
}

typedef struct
{
  AveEditPictures *pictures;
  guint8          *buf;
  gsize            size;
} PictureBytes;

static void
picture_bytes_free (gpointer data)
{
  PictureBytes *pb = data;

  pictures_put (pb->pictures, pb->buf, pb->size);
  pictures_unref (pb->pictures);
  g_free (pb);
}

struct _AveEditStream
{
  AveSettings        *settings;
  AveComposeCaptions  captions;
  char               *language;
  AveCompute         *compute;
  AveComposition     *composition;

  int                 width, height, channels;
  AVRational          fps;
  gint64              n_frames;
  gint64              position;      /* the frame the next read composes */
  gint64              audio_pos;     /* output sample of the next sound */
  AveEditFrame       *pending;       /* being filled by the consumer */
  AveEditPictures    *pictures;
};

void
ave_edit_frame_free (AveEditFrame *frame)
{
  if (frame == NULL)
    return;
  if (frame->rgba != NULL && frame->pictures != NULL)
    pictures_put (frame->pictures, frame->rgba, (gsize) frame->stride * (gsize) frame->height);
  else
    g_free (frame->rgba);
  pictures_unref (frame->pictures);
  g_free (frame->audio);
  g_free (frame);
}

GBytes *
ave_edit_frame_take_rgba (AveEditFrame *frame)
{
  gsize size;
  PictureBytes *pb;

  g_return_val_if_fail (frame != NULL, NULL);

  if (frame->rgba == NULL)
    return NULL;
  size = (gsize) frame->stride * (gsize) frame->height;
  if (frame->pictures == NULL)
    return g_bytes_new_take (g_steal_pointer (&frame->rgba), size);
  pb = g_new (PictureBytes, 1);
  pb->pictures = pictures_ref (frame->pictures);
  pb->buf = g_steal_pointer (&frame->rgba);
  pb->size = size;
  return g_bytes_new_with_free_func (pb->buf, size, picture_bytes_free, pb);
}

/* The consumer of the composition's pictures: RGBA for the screen. */
static gboolean
take_picture (const AVFrame  *picture,
              gint64          f,
              gpointer        data,
              GError        **error)
{
  AveEditStream *self = data;
  AveEditFrame *out = self->pending;
  AveYuvFrame view = _ave_composition_view (self->composition, picture);

  out->width = picture->width;
  out->height = picture->height;
  out->stride = 4 * picture->width;
  out->rgba = pictures_get (self->pictures, (gsize) out->stride * (gsize) out->height);
  out->pictures = pictures_ref (self->pictures);
  return ave_compute_yuv_to_rgba (self->compute, &view, out->rgba, out->stride, error);
}

/* The consumer of its sound: appended, interleaved, to the frame. */
static gboolean
take_sound (const float * const *planes,
            gsize                n,
            gpointer             data,
            GError             **error)
{
  AveEditStream *self = data;
  AveEditFrame *out = self->pending;
  gsize ch_n = (gsize) self->channels;
  float *dst;

  if (n == 0)
    return TRUE;
  out->audio = g_renew (float, out->audio, (out->n_audio + n) * ch_n);
  dst = out->audio + out->n_audio * ch_n;
  for (gsize i = 0; i < n; i++)
    for (gsize ch = 0; ch < ch_n; ch++)
      dst[i * ch_n + ch] = planes[ch][i];
  out->n_audio += n;
  self->audio_pos += (gint64) n;
  return TRUE;
}

AveEditStream *
ave_edit_stream_open (AvePlan                  *plan,
                      const AveSettings        *settings,
                      const AveComposeCaptions *captions,
                      int                       width,
                      int                       height,
                      double                    gain_db,
                      GCancellable             *cancellable,
                      GError                  **error)
{
  g_autoptr(AveEditStream) self = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (plan), NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (AveEditStream, 1);
  self->settings = ave_settings_copy (settings);
  if (captions != NULL && captions->cues != NULL && captions->words != NULL)
    {
      self->captions.words = g_array_ref (captions->words);
      self->captions.cues = g_array_ref (captions->cues);
      self->language = g_strdup (captions->language);
      self->captions.language = self->language;
    }
  self->pictures = pictures_new ();
  self->compute = ave_compute_cpu_new ();
  self->composition = _ave_composition_open (plan, self->settings, self->compute,
                                             self->captions.cues != NULL ? &self->captions : NULL,
                                             width, height, FALSE, error);
  if (self->composition == NULL)
    return NULL;
  _ave_composition_get_format (self->composition, &self->width, &self->height, &self->fps,
                               &self->channels, &self->n_frames);
  _ave_composition_set_consumer (self->composition, take_picture, take_sound, self);
  if (isfinite (gain_db))
    _ave_composition_use_gain (self->composition, gain_db);
  else if (!_ave_composition_prepare_sound (self->composition, 0.0, cancellable, error))
    return NULL;
  return g_steal_pointer (&self);
}

int
ave_edit_stream_get_width (AveEditStream *self)
{
  return self->width;
}

int
ave_edit_stream_get_height (AveEditStream *self)
{
  return self->height;
}

double
ave_edit_stream_get_frame_rate (AveEditStream *self)
{
  return av_q2d (self->fps);
}

gint64
ave_edit_stream_get_n_frames (AveEditStream *self)
{
  return self->n_frames;
}

double
ave_edit_stream_get_duration (AveEditStream *self)
{
  return (double) self->n_frames / av_q2d (self->fps);
}

int
ave_edit_stream_get_sample_rate (AveEditStream *self)
{
  return OUTPUT_RATE;
}

int
ave_edit_stream_get_channels (AveEditStream *self)
{
  return self->channels;
}

double
ave_edit_stream_get_gain_db (AveEditStream *self)
{
  return _ave_composition_get_gain_db (self->composition);
}

void
ave_edit_stream_set_gain_db (AveEditStream *self,
                             double         gain_db)
{
  _ave_composition_use_gain (self->composition, gain_db);
}

gboolean
ave_edit_stream_measure_gain (AvePlan            *plan,
                              const AveSettings  *settings,
                              GCancellable       *cancellable,
                              double             *gain_db,
                              GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(AveComposition) sound = NULL;

  *gain_db = 0.0;
  sound = _ave_composition_open (plan, settings, NULL, NULL, 0, 0, TRUE, &local_error);
  if (sound == NULL)
    {
      /* no sound to measure: no gain */
      if (g_error_matches (local_error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NO_STREAMS))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!_ave_composition_prepare_sound (sound, 0.0, cancellable, error))
    return FALSE;
  *gain_db = _ave_composition_get_gain_db (sound);
  return TRUE;
}

gint64
ave_edit_stream_frame_at (AveEditStream *self,
                          double         seconds)
{
  /* the frame whose interval holds the time; a hair of slack so that a
   * frame's own start time (f / fps) maps back to f */
  gint64 f = (gint64) floor (seconds * av_q2d (self->fps) + 1e-6);

  return CLAMP (f, 0, MAX (self->n_frames - 1, 0));
}

gboolean
ave_edit_stream_seek (AveEditStream *self,
                      double         seconds,
                      GError       **error)
{
  gint64 f;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  f = ave_edit_stream_frame_at (self, seconds);
  /* Already there (nothing read since): nothing to do. */
  if (f == self->position && self->audio_pos == _ave_composition_frame_sample (self->composition, f))
    return TRUE;
  if (!_ave_composition_seek (self->composition, f, error))
    return FALSE;
  self->position = f;
  self->audio_pos = _ave_composition_frame_sample (self->composition, f);
  return TRUE;
}

gboolean
ave_edit_stream_use_proxy (AveEditStream  *self,
                           const char     *proxy_path,
                           GError        **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (proxy_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_ave_composition_use_proxy (self->composition, proxy_path, error))
    return FALSE;
  /* the next read starts where the stream stood, from the proxy */
  if (!_ave_composition_seek (self->composition, self->position, error))
    return FALSE;
  self->audio_pos = _ave_composition_frame_sample (self->composition, self->position);
  return TRUE;
}

gint64
ave_edit_stream_get_position (AveEditStream *self)
{
  return self->position;
}

AveEditFrame *
ave_edit_stream_next (AveEditStream  *self,
                      GError        **error)
{
  g_autoptr(AveEditFrame) frame = NULL;
  gboolean ok;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->position >= self->n_frames)
    return NULL;

  frame = g_new0 (AveEditFrame, 1);
  frame->index = self->position;
  frame->time = (double) self->position / av_q2d (self->fps);
  frame->duration = 1.0 / av_q2d (self->fps);
  frame->channels = self->channels;
  frame->audio_start = self->audio_pos;

  self->pending = frame;
  ok = _ave_composition_frame (self->composition, self->position, error);
  /* The last frame also takes what the limiter still holds. */
  if (ok && self->position + 1 == self->n_frames)
    ok = _ave_composition_finish_sound (self->composition, error);
  self->pending = NULL;
  if (!ok)
    return NULL;
  self->position++;
  return g_steal_pointer (&frame);
}

void
ave_edit_stream_free (AveEditStream *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->composition, _ave_composition_free);
  g_clear_object (&self->compute);
  g_clear_pointer (&self->pictures, pictures_unref);
  g_clear_pointer (&self->captions.words, g_array_unref);
  g_clear_pointer (&self->captions.cues, g_array_unref);
  g_free (self->language);
  g_clear_pointer (&self->settings, ave_settings_free);
  g_free (self);
}
