#define G_LOG_DOMAIN "ave-edit-player"

#include "config.h"

#include <math.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>

#include "ave-edit-player.h"

/* Frames decoded ahead of the one on screen: about a quarter second at
 * 30 fps, enough to ride out a seek inside the edit (a cut) while
 * playing, little enough to keep at preview size. */
#define QUEUE_FRAMES 8
/* While paused nothing is made ahead of the frame a seek asked for (a
 * frame step is a seek that reads on, one frame): a new seek then never
 * waits for the worker to finish a frame nobody asked for, which may mean
 * starting the next piece of the edit (a seek and preroll of its own, up
 * to a GOP of decoding).  Playing fills the queue again. */

typedef struct
{
  AveEditFrame *frame;
  guint         generation;
} Queued;

struct _AveEditPlayer
{
  AveEditPlayerFunc changed;
  gpointer          user_data;

  GThread          *thread;
  GMutex            lock;
  GCond             cond;
  GSource          *pump;          /* on the main context, woken by the worker */

  /* --- shared with the worker, under `lock` --- */
  gboolean          quit;
  AvePlan          *open_plan;     /* a copy, handed to the worker */
  AveSettings      *open_settings;
  AveComposeCaptions open_captions;
  int               open_width, open_height;
  GCancellable     *open_cancellable;
  /* The loudness gain of the plan opened last, and what it depends on:
   * opening the same plan again (captions switched on) skips the pass. */
  char             *gain_key;
  double            gain_db;
  char             *gain_source;
  /* An edited plan opens with the gain of the one before (no wait for the
   * loudness pass); this thread measures its own meanwhile. */
  GThread          *measurer;
  GCancellable     *measure_cancellable;
  AvePlan          *measure_plan;
  AveSettings      *measure_settings;
  char             *measure_key;
  gboolean          measured;      /* measure_gain is ready for the worker */
  double            measure_gain;
  gboolean          seek_pending;
  double            seek_target;
  /* A preview proxy of proxy_source (media/ave-proxy.h): the stream reads
   * its pictures from it.  proxy_pending: the worker has not switched the
   * open stream to it yet; proxy_used: the open stream reads it. */
  char             *proxy_source;
  char             *proxy_path;
  gboolean          proxy_pending;
  gboolean          proxy_used;
  guint             generation;    /* bumped by every seek and open */
  GQueue            queue;         /* Queued*, in output order */
  gboolean          eos;           /* the worker read the last frame */
  char             *error;
  gboolean          is_open;
  double            duration, frame_duration;
  int               channels;
  GstElement       *pipeline;      /* while playing with sound */
  GstAppSrc        *appsrc;
  gint64            base_sample;   /* output sample at the pipeline's time 0 */

  /* --- main thread only --- */
  AveEditStream    *stream;        /* owned by the worker; freed by it */
  gboolean          playing;
  gboolean          play_when_open;
  double            position;      /* output seconds */
  GdkTexture       *texture;
  AveEditFrame     *shown;         /* its sound (pictures go to the texture) */
  gint64            shown_index;
  guint             shown_generation;
  gint64            play_start_us; /* monotonic time playing started */
  double            play_start_pos;
  gint64            seek_start_us;
  gboolean          settled;
  AveEditPlayerStats stats;
  gboolean          notify_pending;
};

static void
queued_free (Queued *q)
{
  ave_edit_frame_free (q->frame);
  g_free (q);
}

static void
clear_queue_locked (AveEditPlayer *self)
{
  Queued *q;

  while ((q = g_queue_pop_head (&self->queue)) != NULL)
    queued_free (q);
}

/* ------------------------------------------------------------ sound */

static void
push_sound_locked (AveEditPlayer      *self,
                   const AveEditFrame *frame)
{
  GstBuffer *buffer;
  gsize bytes;

  if (self->appsrc == NULL || frame->n_audio == 0 || frame->audio_start < self->base_sample)
    return;
  bytes = frame->n_audio * (gsize) frame->channels * sizeof (float);
  buffer = gst_buffer_new_memdup (frame->audio, bytes);
  GST_BUFFER_PTS (buffer) = gst_util_uint64_scale (frame->audio_start - self->base_sample, GST_SECOND, 48000);
  GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale (frame->n_audio, GST_SECOND, 48000);
  gst_app_src_push_buffer (self->appsrc, buffer);
}

static void
stop_sound_locked (AveEditPlayer *self)
{
  if (self->pipeline == NULL)
    return;
  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  g_clear_object (&self->appsrc);
  g_clear_object (&self->pipeline);
}

/* The sound from the frame on screen on: pushed now for what is decoded,
 * then by the worker as it decodes.  Without an audio device (or sound)
 * playback keeps time by the monotonic clock instead. */
static void
start_sound_locked (AveEditPlayer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstCaps) caps = NULL;
  GstElement *pipeline, *src;

  stop_sound_locked (self);
  self->stats.audio_clock = FALSE;
  if (self->channels == 0 || self->shown == NULL)
    return;
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  pipeline = gst_parse_launch ("appsrc name=src format=time max-bytes=4000000 ! audioconvert ! "
                               "audioresample ! autoaudiosink", &error);
  if (pipeline == NULL)
    {
      g_debug ("No sound for the preview: %s", error->message);
      return;
    }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "F32LE",
                              "rate", G_TYPE_INT, 48000, "channels", G_TYPE_INT, self->channels,
                              "layout", G_TYPE_STRING, "interleaved", NULL);
  gst_app_src_set_caps (GST_APP_SRC (src), caps);
  self->pipeline = pipeline;
  self->appsrc = GST_APP_SRC (src);
  self->base_sample = self->shown->audio_start;

  push_sound_locked (self, self->shown);
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      Queued *q = l->data;
      if (q->generation == self->generation)
        push_sound_locked (self, q->frame);
    }
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_debug ("No audio device for the preview: timing it by the clock");
      stop_sound_locked (self);
    }
}

/* Output seconds by the clock: the sound's position when it plays, else
 * the monotonic clock since playing started. */
static double
clock_position (AveEditPlayer *self)
{
  double elapsed = (g_get_monotonic_time () - self->play_start_us) / (double) G_USEC_PER_SEC;
  gint64 pos = 0;

  if (self->pipeline != NULL && gst_element_query_position (self->pipeline, GST_FORMAT_TIME, &pos) && pos > 0)
    {
      self->stats.audio_clock = TRUE;
      return (double) self->base_sample / 48000.0 + (double) pos / GST_SECOND;
    }
  return self->play_start_pos + elapsed;
}

/* ------------------------------------------------------------ worker */

static gpointer
measurer (gpointer data)
{
  AveEditPlayer *self = data;
  g_autoptr(GError) error = NULL;
  double gain = 0.0;
  gboolean ok;

  ok = ave_edit_stream_measure_gain (self->measure_plan, self->measure_settings,
                                     self->measure_cancellable, &gain, &error);
  g_mutex_lock (&self->lock);
  if (ok && !g_cancellable_is_cancelled (self->measure_cancellable))
    {
      self->measured = TRUE;
      self->measure_gain = gain;
      g_cond_signal (&self->cond);
    }
  else if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("The preview keeps the gain of the plan before: %s", error->message);
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Stops a measure under way and forgets it (without the lock). */
static void
stop_measurer (AveEditPlayer *self)
{
  if (self->measurer == NULL)
    return;
  g_cancellable_cancel (self->measure_cancellable);
  g_thread_join (self->measurer);
  self->measurer = NULL;
  g_clear_object (&self->measure_cancellable);
  g_clear_object (&self->measure_plan);
  g_clear_pointer (&self->measure_settings, ave_settings_free);
  g_clear_pointer (&self->measure_key, g_free);
  self->measured = FALSE;
}

/* What the loudness gain depends on: the kept sound (the plan) and the
 * loudness settings. */
static char *
gain_key (AvePlan           *plan,
          const AveSettings *settings)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);
  g_autofree char *json = json_to_string (node, FALSE);

  return g_strdup_printf ("%.6f %.6f %s", settings->loudness_target, settings->audio_fade_duration, json);
}

/* Switches `stream` (of the plan of `source`) to the proxy when there is
 * one of that source; called without the lock.  A proxy that cannot be
 * used is no error for the user: the preview goes on with the source. */
static gboolean
use_proxy (AveEditStream *stream,
           const char    *source,
           const char    *proxy_source,
           const char    *proxy_path)
{
  g_autoptr(GError) error = NULL;

  if (proxy_path == NULL || g_strcmp0 (source, proxy_source) != 0)
    return FALSE;
  if (!ave_edit_stream_use_proxy (stream, proxy_path, &error))
    {
      g_warning ("The preview keeps reading %s itself: %s", source, error->message);
      return FALSE;
    }
  return TRUE;
}

static gpointer
worker (gpointer data)
{
  AveEditPlayer *self = data;
  AveEditStream *stream = NULL;
  char *stream_source = NULL;     /* the source of the plan `stream` plays */

  g_mutex_lock (&self->lock);
  for (;;)
    {
      guint generation;
      AveEditFrame *frame;
      g_autoptr(GError) error = NULL;

      if (self->measured && stream != NULL)
        {
          /* the edited plan's own gain, measured: from the next frame on */
          ave_edit_stream_set_gain_db (stream, self->measure_gain);
          g_free (self->gain_key);
          self->gain_key = g_steal_pointer (&self->measure_key);
          self->gain_db = self->measure_gain;
          self->measured = FALSE;
        }
      while (!self->quit && self->open_plan == NULL && !self->seek_pending && !self->measured &&
             !(self->proxy_pending && stream != NULL) &&
             (stream == NULL || self->eos ||
              g_queue_get_length (&self->queue) >= (self->playing || self->play_when_open ? QUEUE_FRAMES
                                                                                        : self->settled ? 0 : 1)))
        g_cond_wait (&self->cond, &self->lock);
      if (self->quit)
        break;

      if (self->open_plan != NULL)
        {
          g_autoptr(AvePlan) plan = g_steal_pointer (&self->open_plan);
          g_autoptr(AveSettings) settings = g_steal_pointer (&self->open_settings);
          g_autoptr(GCancellable) cancellable = g_object_ref (self->open_cancellable);
          AveComposeCaptions captions = self->open_captions;
          int width = self->open_width, height = self->open_height;
          AveEditStream *opened;
          g_autofree char *key = gain_key (plan, settings);
          double known_gain = g_strcmp0 (key, self->gain_key) == 0 ? self->gain_db : NAN;
          gboolean measure_later = FALSE;

          /* An edit of the same source: the gain of the plan before now,
           * the new plan's own once measured. */
          if (!isfinite (known_gain) && self->gain_key != NULL &&
              g_strcmp0 (self->gain_source, ave_plan_get_source (plan)) == 0)
            {
              known_gain = self->gain_db;
              measure_later = TRUE;
            }
          g_mutex_unlock (&self->lock);
          stop_measurer (self);
          g_mutex_lock (&self->lock);

          self->open_captions = (AveComposeCaptions) { 0 };
          g_clear_pointer (&stream, ave_edit_stream_free);
          g_clear_pointer (&stream_source, g_free);
          self->is_open = FALSE;
          self->proxy_used = FALSE;
          {
            g_autofree char *proxy_source = g_strdup (self->proxy_source);
            g_autofree char *proxy_path = g_strdup (self->proxy_path);
            gboolean used = FALSE;

            self->proxy_pending = FALSE;
            g_mutex_unlock (&self->lock);
            opened = ave_edit_stream_open (plan, settings, captions.cues != NULL ? &captions : NULL,
                                           width, height, known_gain, cancellable, &error);
            if (opened != NULL)
              used = use_proxy (opened, ave_plan_get_source (plan), proxy_source, proxy_path);
            g_mutex_lock (&self->lock);
            self->proxy_used = used;
            /* a proxy that came meanwhile is taken below */
            if (g_strcmp0 (proxy_path, self->proxy_path) != 0)
              self->proxy_pending = TRUE;
            g_mutex_unlock (&self->lock);
          }
          g_clear_pointer (&captions.words, g_array_unref);
          g_clear_pointer (&captions.cues, g_array_unref);
          g_mutex_lock (&self->lock);
          if (self->open_plan != NULL)
            {
              /* opened again meanwhile */
              g_clear_pointer (&opened, ave_edit_stream_free);
              continue;
            }
          if (opened == NULL)
            {
              if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                {
                  g_free (self->error);
                  self->error = g_strdup (error->message);
                }
              g_source_set_ready_time (self->pump, 0);
              continue;
            }
          stream = opened;
          stream_source = g_strdup (ave_plan_get_source (plan));
          self->is_open = TRUE;
          if (measure_later)
            {
              self->measure_plan = g_object_ref (plan);
              self->measure_settings = ave_settings_copy (settings);
              self->measure_key = g_steal_pointer (&key);
              self->measure_cancellable = g_cancellable_new ();
              self->measurer = g_thread_new ("ave-edit-gain", measurer, self);
            }
          else
            {
              g_free (self->gain_key);
              self->gain_key = g_steal_pointer (&key);
              self->gain_db = ave_edit_stream_get_gain_db (stream);
              g_free (self->gain_source);
              self->gain_source = g_strdup (ave_plan_get_source (plan));
            }
          self->duration = ave_edit_stream_get_duration (stream);
          self->frame_duration = 1.0 / ave_edit_stream_get_frame_rate (stream);
          self->channels = ave_edit_stream_get_channels (stream);
          g_clear_pointer (&self->error, g_free);
          g_source_set_ready_time (self->pump, 0);
          continue;
        }

      if (stream == NULL)
        {
          self->seek_pending = FALSE;
          continue;
        }

      if (self->proxy_pending)
        {
          /* The proxy is ready: the open stream reads on from the same
           * frame with pictures from it; what is queued stays (the same
           * frames), playing goes on. */
          g_autofree char *proxy_source = g_strdup (self->proxy_source);
          g_autofree char *proxy_path = g_strdup (self->proxy_path);
          gboolean used;

          self->proxy_pending = FALSE;
          if (self->proxy_used || proxy_path == NULL)
            continue;
          g_mutex_unlock (&self->lock);
          used = use_proxy (stream, stream_source, proxy_source, proxy_path);
          g_mutex_lock (&self->lock);
          self->proxy_used = used;
          if (used)
            {
              self->notify_pending = TRUE;
              g_source_set_ready_time (self->pump, 0);
            }
          continue;
        }

      if (self->seek_pending)
        {
          double target = self->seek_target;
          gboolean ok;

          self->seek_pending = FALSE;
          generation = self->generation;
          self->eos = FALSE;
          g_mutex_unlock (&self->lock);
          ok = ave_edit_stream_seek (stream, target, &error);
          g_mutex_lock (&self->lock);
          if (!ok)
            {
              g_free (self->error);
              self->error = g_strdup (error->message);
              self->eos = TRUE;
              g_source_set_ready_time (self->pump, 0);
            }
          continue;
        }

      generation = self->generation;
      g_mutex_unlock (&self->lock);
      frame = ave_edit_stream_next (stream, &error);
      g_mutex_lock (&self->lock);
      if (generation != self->generation || self->seek_pending || self->open_plan != NULL)
        {
          /* a seek came in while it decoded: the frame is of the old place */
          ave_edit_frame_free (frame);
          continue;
        }
      if (frame == NULL)
        {
          if (error != NULL)
            {
              g_free (self->error);
              self->error = g_strdup (error->message);
            }
          self->eos = TRUE;
        }
      else
        {
          Queued *q = g_new0 (Queued, 1);

          q->frame = frame;
          q->generation = generation;
          g_queue_push_tail (&self->queue, q);
          push_sound_locked (self, frame);
        }
      g_source_set_ready_time (self->pump, 0);
    }
  g_mutex_unlock (&self->lock);
  stop_measurer (self);
  g_clear_pointer (&stream, ave_edit_stream_free);
  g_free (stream_source);
  return NULL;
}

/* ------------------------------------------------------------ main loop */

static void
show_locked (AveEditPlayer *self,
             Queued        *q)
{
  AveEditFrame *frame = q->frame;

  if (frame->rgba != NULL)
    {
      g_autoptr(GBytes) bytes = ave_edit_frame_take_rgba (frame);
      g_clear_object (&self->texture);
      self->texture = gdk_memory_texture_new (frame->width, frame->height, GDK_MEMORY_R8G8B8A8,
                                              bytes, (gsize) frame->stride);
    }
  self->shown_index = frame->index;
  self->shown_generation = q->generation;
  g_clear_pointer (&self->shown, ave_edit_frame_free);
  self->shown = g_steal_pointer (&q->frame);
  self->stats.frames_shown++;
  queued_free (q);
}

static gboolean
pump_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     data)
{
  AveEditPlayer *self = data;
  gboolean changed = FALSE;

  g_source_set_ready_time (source, -1);
  g_mutex_lock (&self->lock);

  if (self->is_open && self->play_when_open)
    {
      self->play_when_open = FALSE;
      self->playing = TRUE;
      self->play_start_us = g_get_monotonic_time ();
      self->play_start_pos = self->position;
      changed = TRUE;
    }

  /* The frames of an old place are of no use. */
  while (self->queue.head != NULL && ((Queued *) self->queue.head->data)->generation != self->generation)
    queued_free (g_queue_pop_head (&self->queue));

  if (!self->settled && self->queue.head != NULL)
    {
      /* the frame of the last seek */
      show_locked (self, g_queue_pop_head (&self->queue));
      self->settled = TRUE;
      self->stats.last_seek_ms = (g_get_monotonic_time () - self->seek_start_us) / 1000.0;
      if (!self->playing)
        self->position = MAX (self->position, self->shown->time);
      else
        {
          /* playing resumes from the frame found */
          self->position = self->shown->time;
          self->play_start_us = g_get_monotonic_time ();
          self->play_start_pos = self->position;
          start_sound_locked (self);
        }
      changed = TRUE;
    }
  else if (self->playing && self->settled)
    {
      double now = clock_position (self);
      Queued *latest = NULL;

      self->stats.played_seconds += MAX (0.0, now - self->position);
      self->position = now;
      while (self->queue.head != NULL && ((Queued *) self->queue.head->data)->frame->time <= now)
        {
          if (latest != NULL)
            {
              self->stats.frames_late++;
              queued_free (latest);
            }
          latest = g_queue_pop_head (&self->queue);
        }
      if (latest != NULL)
        show_locked (self, latest);
      changed = TRUE;

      if (self->eos && self->queue.head == NULL && now >= self->duration - 1e-6)
        {
          /* the end of the edit: stop on its last frame */
          self->playing = FALSE;
          self->position = self->shown != NULL ? self->shown->time : self->duration;
          stop_sound_locked (self);
        }
      else
        {
          /* wake for the next frame, or soon to check the queue again */
          double wait = self->queue.head != NULL
                        ? ((Queued *) self->queue.head->data)->frame->time - now : self->frame_duration / 2;
          g_source_set_ready_time (source, g_get_monotonic_time () +
                                   (gint64) (CLAMP (wait, 0.002, 0.05) * G_USEC_PER_SEC));
        }
    }
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  changed = changed || self->notify_pending;
  self->notify_pending = FALSE;
  if (changed && self->changed != NULL)
    self->changed (self, self->user_data);
  return G_SOURCE_CONTINUE;
}

/* The main loop hears of a change made by a call (play, pause, seek) on
 * its next turn, never from inside the call: GtkMediaStream's own play and
 * seek are on the stack then. */
static void
wake_later (AveEditPlayer *self)
{
  self->notify_pending = TRUE;
  g_source_set_ready_time (self->pump, 0);
}

static GSourceFuncs pump_funcs = { NULL, NULL, pump_dispatch, NULL, NULL, NULL };

AveEditPlayer *
ave_edit_player_new (AveEditPlayerFunc changed,
                     gpointer          user_data)
{
  AveEditPlayer *self = g_new0 (AveEditPlayer, 1);

  self->changed = changed;
  self->user_data = user_data;
  self->shown_index = -1;
  self->settled = TRUE;
  self->frame_duration = 1.0 / 30.0;
  self->stats.last_seek_ms = -1;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->pump = g_source_new (&pump_funcs, sizeof (GSource));
  g_source_set_callback (self->pump, NULL, self, NULL);
  g_source_set_name (self->pump, "ave-edit-player");
  g_source_attach (self->pump, NULL);
  self->thread = g_thread_new ("ave-edit-player", worker, self);
  return self;
}

static void
seek_locked (AveEditPlayer *self,
             double         seconds)
{
  self->generation++;
  clear_queue_locked (self);
  self->seek_pending = TRUE;
  self->seek_target = seconds;
  self->settled = FALSE;
  self->seek_start_us = g_get_monotonic_time ();
  self->position = seconds;
  stop_sound_locked (self);
  g_cond_signal (&self->cond);
}

void
ave_edit_player_open (AveEditPlayer            *self,
                      AvePlan                  *plan,
                      const AveSettings        *settings,
                      const AveComposeCaptions *captions,
                      int                       width,
                      int                       height,
                      double                    output_time,
                      gboolean                  play)
{
  g_mutex_lock (&self->lock);
  if (self->open_cancellable != NULL)
    g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  self->open_cancellable = g_cancellable_new ();
  g_clear_object (&self->open_plan);
  g_clear_pointer (&self->open_settings, ave_settings_free);
  g_clear_pointer (&self->open_captions.words, g_array_unref);
  g_clear_pointer (&self->open_captions.cues, g_array_unref);
  self->open_plan = ave_plan_copy (plan);
  self->open_settings = ave_settings_copy (settings);
  if (captions != NULL && captions->words != NULL && captions->cues != NULL)
    {
      self->open_captions.words = g_array_ref (captions->words);
      self->open_captions.cues = g_array_ref (captions->cues);
      /* the language only tags an embedded track: not used here */
    }
  self->open_width = width;
  self->open_height = height;
  self->playing = FALSE;
  self->play_when_open = play;
  self->is_open = FALSE;
  seek_locked (self, MAX (output_time, 0.0));
  g_mutex_unlock (&self->lock);
}

gboolean
ave_edit_player_is_open (AveEditPlayer *self)
{
  gboolean open;

  g_mutex_lock (&self->lock);
  open = self->is_open;
  g_mutex_unlock (&self->lock);
  return open;
}

char *
ave_edit_player_dup_error (AveEditPlayer *self)
{
  char *error;

  g_mutex_lock (&self->lock);
  error = g_strdup (self->error);
  g_mutex_unlock (&self->lock);
  return error;
}

void
ave_edit_player_play (AveEditPlayer *self)
{
  g_mutex_lock (&self->lock);
  if (!self->is_open)
    self->play_when_open = TRUE;
  else if (!self->playing)
    {
      /* from the start again at the end of the edit */
      if (self->eos && self->queue.head == NULL && self->position >= self->duration - self->frame_duration)
        seek_locked (self, 0.0);
      self->playing = TRUE;
      self->stats.frames_shown = self->stats.frames_late = 0;
      self->stats.played_seconds = 0.0;
      self->play_start_us = g_get_monotonic_time ();
      self->play_start_pos = self->shown != NULL && self->settled ? self->shown->time : self->position;
      self->position = self->play_start_pos;
      if (self->settled)
        start_sound_locked (self);
      g_source_set_ready_time (self->pump, 0);
    }
  g_mutex_unlock (&self->lock);
  wake_later (self);
}

void
ave_edit_player_pause (AveEditPlayer *self)
{
  g_mutex_lock (&self->lock);
  self->play_when_open = FALSE;
  if (self->playing)
    {
      self->playing = FALSE;
      stop_sound_locked (self);
      if (self->shown != NULL)
        self->position = self->shown->time;
    }
  g_mutex_unlock (&self->lock);
  wake_later (self);
}

gboolean
ave_edit_player_get_playing (AveEditPlayer *self)
{
  return self->playing || self->play_when_open;
}

void
ave_edit_player_seek (AveEditPlayer *self,
                      double         seconds)
{
  g_mutex_lock (&self->lock);
  if (self->is_open)
    seconds = CLAMP (seconds, 0.0, MAX (self->duration - self->frame_duration / 2, 0.0));
  seek_locked (self, MAX (seconds, 0.0));
  g_mutex_unlock (&self->lock);
  wake_later (self);
}

void
ave_edit_player_step (AveEditPlayer *self,
                      int            frames)
{
  Queued *next;
  double target;

  ave_edit_player_pause (self);
  g_mutex_lock (&self->lock);
  next = self->queue.head != NULL ? self->queue.head->data : NULL;
  if (frames == 1 && self->settled && next != NULL && next->generation == self->generation &&
      next->frame->index == self->shown_index + 1)
    {
      /* already decoded */
      show_locked (self, g_queue_pop_head (&self->queue));
      self->position = self->shown->time;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->lock);
      wake_later (self);
      return;
    }
  /* from the frame shown, or the one a seek is still looking for */
  target = ((self->settled && self->shown_index >= 0 ? (double) self->shown_index
                                                      : floor (self->position / self->frame_duration + 1e-6))
            + frames + 0.5) * self->frame_duration;
  g_mutex_unlock (&self->lock);
  ave_edit_player_seek (self, target);
}

double
ave_edit_player_get_position (AveEditPlayer *self)
{
  return self->position;
}

double
ave_edit_player_get_duration (AveEditPlayer *self)
{
  double duration;

  g_mutex_lock (&self->lock);
  duration = self->is_open ? self->duration : 0.0;
  g_mutex_unlock (&self->lock);
  return duration;
}

double
ave_edit_player_get_frame_duration (AveEditPlayer *self)
{
  double frame;

  g_mutex_lock (&self->lock);
  frame = self->frame_duration;
  g_mutex_unlock (&self->lock);
  return frame;
}

GdkTexture *
ave_edit_player_get_texture (AveEditPlayer *self)
{
  return self->texture;
}

gint64
ave_edit_player_get_frame_index (AveEditPlayer *self)
{
  return self->shown_index;
}

gboolean
ave_edit_player_is_settled (AveEditPlayer *self)
{
  return self->settled && ave_edit_player_is_open (self);
}

void
ave_edit_player_set_proxy (AveEditPlayer *self,
                           const char    *source,
                           const char    *proxy_path)
{
  g_mutex_lock (&self->lock);
  if (g_strcmp0 (source, self->proxy_source) != 0 || g_strcmp0 (proxy_path, self->proxy_path) != 0)
    {
      g_free (self->proxy_source);
      g_free (self->proxy_path);
      self->proxy_source = g_strdup (source);
      self->proxy_path = g_strdup (proxy_path);
      self->proxy_pending = proxy_path != NULL;
      g_cond_signal (&self->cond);
    }
  g_mutex_unlock (&self->lock);
}

gboolean
ave_edit_player_get_uses_proxy (AveEditPlayer *self)
{
  gboolean used;

  g_mutex_lock (&self->lock);
  used = self->is_open && self->proxy_used;
  g_mutex_unlock (&self->lock);
  return used;
}

void
ave_edit_player_get_stats (AveEditPlayer      *self,
                           AveEditPlayerStats *stats)
{
  *stats = self->stats;
}

void
ave_edit_player_free (AveEditPlayer *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  if (self->open_cancellable != NULL)
    g_cancellable_cancel (self->open_cancellable);
  stop_sound_locked (self);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);

  g_source_destroy (self->pump);
  g_source_unref (self->pump);
  clear_queue_locked (self);
  g_clear_object (&self->open_plan);
  g_clear_object (&self->open_cancellable);
  g_clear_pointer (&self->open_settings, ave_settings_free);
  g_clear_pointer (&self->open_captions.words, g_array_unref);
  g_clear_pointer (&self->open_captions.cues, g_array_unref);
  g_clear_object (&self->texture);
  g_clear_pointer (&self->shown, ave_edit_frame_free);
  g_free (self->error);
  g_free (self->gain_key);
  g_free (self->gain_source);
  g_free (self->proxy_source);
  g_free (self->proxy_path);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
