#define G_LOG_DOMAIN "ave-preview"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "assets/ave-captions.h"
#include "core/ave-error.h"
#include "core/ave-worker-pool.h"
#include "media/ave-media.h"
#include "media/ave-proxy.h"
#include "ave-edit-media.h"
#include "ave-timeline-layout.h"
#include "ave-preview.h"

/* "position" notifications while playing: enough for a smooth playhead
 * without waking the timeline every frame. */
#define POSITION_NOTIFY_USEC (G_USEC_PER_SEC / 10)
/* J goes back this far. */
#define BACK_SECONDS 2.0
#define DEFAULT_FRAME_DURATION (1.0 / 30.0)
/* With a plan the edit is composed within this size (the source's shape
 * kept, never larger): what two cores compose in real time. */
#define EDIT_MAX_WIDTH  640
#define EDIT_MAX_HEIGHT 360

struct _AvePreview
{
  GtkWidget       parent_instance;

  GtkWidget      *picture;
  GtkWidget      *bar;              /* the controls and the captions button */
  GtkWidget      *controls;
  GtkWidget      *captions_button;
  GtkMediaStream *stream;
  GtkShortcutController *shortcuts;
  GCancellable   *probe_cancellable;
  char           *path;

  AvePlan        *plan;
  gulong          plan_changed_id;
  /* With a plan and a source the preview plays the edit itself (cuts,
   * transitions, cards, overlays, burned captions) through the engine's
   * composer: `stream` is then this, its times output seconds. */
  AveEditMedia   *edit;
  guint           reopen_id;        /* the plan changed: open it again when idle */
  double          source_duration;
  int             current;          /* plan segment playing, -1 unknown */
  gboolean        plan_finished;    /* stopped at the end of the edit */

  /* The stream's timestamp comes in steps (the backend reports about ten
   * times a second); between reports the position is extrapolated from the
   * last one with the monotonic clock, so a cut is honoured to the frame. */
  double          anchor_position;
  gint64          anchor_time;
  double          position;
  gint64          last_notify;
  double          frame_duration;
  guint           tick_id;
  double          pending_seek;     /* asked before the stream could seek; -1 none */

  /* Captions over the picture: the engine's cues for the plan as edited
   * (rebuilt when the plan changes), drawn by the engine's caption
   * renderer in the job's caption style. */
  AveAnalysis    *analysis;
  AveSettings    *caption_style;
  gboolean        show_captions;
  GArray         *caption_words;
  GArray         *caption_cues;
  gboolean        captions_stale;
  int             caption_cue;      /* shown now, -1 none */
  int             caption_word;     /* highlighted, -1 none */
  /* The picture drawn for caption_cue/caption_word at that frame size. */
  GdkTexture     *caption_texture;
  int             caption_texture_cue, caption_texture_word;
  int             caption_frame_width, caption_frame_height;
  graphene_rect_t caption_rect;     /* in frame pixels */

  /* The preview proxy of `path` (media/ave-proxy.h), made by one thread
   * at a lower priority while the edit plays from the source itself;
   * the edit then reads its pictures from it (every seek quick). */
  gboolean        use_proxies;
  GThread        *proxy_thread;
  GCancellable   *proxy_cancellable;
  char           *proxy_path;       /* ready; NULL before */
  GtkWidget      *proxy_label;      /* "Preparing the preview…" while it is made */
};

G_DEFINE_FINAL_TYPE (AvePreview, ave_preview, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_PLAN,
  PROP_POSITION,
  PROP_DURATION,
  PROP_PLAYING,
  PROP_SHOW_CAPTIONS,
  PROP_USE_PROXIES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void follow_plan (AvePreview *self);
static void update_caption (AvePreview *self);
static void ensure_cues (AvePreview *self);
static void update_mode (AvePreview *self);

static gboolean
plays_edit (AvePreview *self)
{
  return self->edit != NULL && self->stream == GTK_MEDIA_STREAM (self->edit);
}

static AveEditPlayer *
edit_player (AvePreview *self)
{
  return ave_edit_media_get_player (self->edit);
}

/* Source seconds the edit shows at output time `t`, for the timeline. */
static double
edit_source_time (AvePreview *self,
                  double      t)
{
  double source = ave_plan_output_to_source (self->plan, t);

  return source >= 0.0 ? source : 0.0;
}

static void
set_position (AvePreview *self,
              double      position,
              gboolean    force_notify)
{
  gint64 now = g_get_monotonic_time ();

  self->position = MAX (0.0, position);
  update_caption (self);
  if (force_notify || now - self->last_notify >= POSITION_NOTIFY_USEC)
    {
      self->last_notify = now;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POSITION]);
    }
}

static double
estimated_position (AvePreview *self)
{
  double position = self->anchor_position;

  if (plays_edit (self))
    return edit_source_time (self, ave_edit_player_get_position (edit_player (self)));
  if (self->stream != NULL && gtk_media_stream_get_playing (self->stream) &&
      !gtk_media_stream_is_seeking (self->stream))
    position += (g_get_monotonic_time () - self->anchor_time) / (double) G_USEC_PER_SEC;
  return position;
}

static void
stream_seek (AvePreview *self,
             double      source_time)
{
  if (self->stream == NULL)
    return;

  source_time = MAX (0.0, source_time);
  if (plays_edit (self))
    {
      /* A cut moment shows the next kept one, as the edit plays on. */
      double output = ave_plan_source_to_output (self->plan, source_time);

      if (output < 0.0)
        output = ave_plan_source_to_output (self->plan,
                                            ave_playback_step_target (self->plan, source_time, 1,
                                                                      self->frame_duration));
      if (output < 0.0)
        output = ave_plan_get_output_duration (self->plan);
      if (gtk_media_stream_is_prepared (self->stream))
        gtk_media_stream_seek (self->stream, (gint64) llround (output * G_USEC_PER_SEC));
      else
        ave_edit_player_seek (edit_player (self), output);
      set_position (self, source_time, TRUE);
      return;
    }
  self->anchor_position = source_time;
  self->anchor_time = g_get_monotonic_time ();
  /* A stream still opening cannot seek yet: it is done once prepared. */
  if (!gtk_media_stream_is_prepared (self->stream))
    self->pending_seek = source_time;
  else
    gtk_media_stream_seek (self->stream, (gint64) llround (source_time * G_USEC_PER_SEC));
  set_position (self, source_time, TRUE);
}

static gboolean
tick (GtkWidget     *widget,
      GdkFrameClock *clock,
      gpointer       user_data)
{
  AvePreview *self = AVE_PREVIEW (widget);

  if (self->stream == NULL || !gtk_media_stream_get_playing (self->stream))
    {
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  follow_plan (self);
  set_position (self, estimated_position (self), FALSE);
  return G_SOURCE_CONTINUE;
}

/* Playing runs a frame-clock tick (the widget is on screen); an unmapped
 * preview still follows the plan at each timestamp report. */
static void
update_tick (AvePreview *self)
{
  gboolean playing = self->stream != NULL && gtk_media_stream_get_playing (self->stream);

  if (playing && self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick, NULL, NULL);
  else if (!playing && self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
}

static void
follow_plan (AvePreview *self)
{
  double seek_to = 0.0;
  int playing = -1;

  if (self->plan == NULL || self->stream == NULL || plays_edit (self) ||
      gtk_media_stream_is_seeking (self->stream))
    return;

  if (!ave_playback_follow_plan (self->plan, self->current, estimated_position (self),
                                 self->frame_duration / 2.0, &playing, &seek_to))
    {
      self->current = playing;
      return;
    }

  self->current = playing;
  if (playing < 0)
    {
      /* The edit is over: stop at its last frame. */
      gtk_media_stream_pause (self->stream);
      stream_seek (self, MAX (0.0, seek_to - self->frame_duration));
      self->plan_finished = TRUE;
      return;
    }
  g_debug ("Plan: on to segment %d at %.3f s", playing, seek_to);
  stream_seek (self, seek_to);
}

static void
on_timestamp (GtkMediaStream *stream,
              GParamSpec     *pspec,
              AvePreview     *self)
{
  if (gtk_media_stream_is_seeking (stream))
    return;
  if (plays_edit (self))
    {
      set_position (self, estimated_position (self), !gtk_media_stream_get_playing (stream));
      return;
    }

  self->anchor_position = gtk_media_stream_get_timestamp (stream) / (double) G_USEC_PER_SEC;
  self->anchor_time = g_get_monotonic_time ();
  follow_plan (self);
  set_position (self, estimated_position (self), !gtk_media_stream_get_playing (stream));
}

static void
on_playing (GtkMediaStream *stream,
            GParamSpec     *pspec,
            AvePreview     *self)
{
  self->anchor_position = gtk_media_stream_get_timestamp (stream) / (double) G_USEC_PER_SEC;
  self->anchor_time = g_get_monotonic_time ();
  if (gtk_media_stream_get_playing (stream))
    follow_plan (self);
  update_tick (self);
  set_position (self, self->anchor_position, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYING]);
}

static void
on_prepared (GtkMediaStream *stream,
             GParamSpec     *pspec,
             AvePreview     *self)
{
  if (gtk_media_stream_is_prepared (stream) && self->pending_seek >= 0)
    {
      double target = self->pending_seek;

      self->pending_seek = -1;
      stream_seek (self, target);
    }
}

static void
on_duration (GtkMediaStream *stream,
             GParamSpec     *pspec,
             AvePreview     *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
}

static void
on_error (GtkMediaStream *stream,
          GParamSpec     *pspec,
          AvePreview     *self)
{
  const GError *error = gtk_media_stream_get_error (stream);

  if (error != NULL)
    g_warning ("Cannot play %s: %s", self->path, error->message);
}

static void open_edit (AvePreview *self, double output_time, gboolean play);

static gboolean
reopen_idle (gpointer user_data)
{
  AvePreview *self = user_data;

  self->reopen_id = 0;
  if (plays_edit (self))
    open_edit (self, ave_edit_player_get_position (edit_player (self)),
               ave_edit_player_get_playing (edit_player (self)));
  return G_SOURCE_REMOVE;
}

static void
on_plan_changed (AvePlan    *plan,
                 AvePreview *self)
{
  /* Segment indices may have moved: find the playing one again. */
  self->current = -1;
  self->captions_stale = TRUE;
  update_caption (self);
  if (plays_edit (self))
    {
      /* Every edit of a drag comes at once: open the result once. */
      if (self->reopen_id == 0)
        self->reopen_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, reopen_idle, self, NULL);
      return;
    }
  if (self->stream != NULL && gtk_media_stream_get_playing (self->stream))
    follow_plan (self);
}

/* -------------------------------------------------------------- captions */

static void
clear_caption_texture (AvePreview *self)
{
  g_clear_object (&self->caption_texture);
  self->caption_texture_cue = -1;
  self->caption_texture_word = -1;
}

static void
ensure_cues (AvePreview *self)
{
  if (!self->captions_stale)
    return;
  self->captions_stale = FALSE;
  g_clear_pointer (&self->caption_words, g_array_unref);
  g_clear_pointer (&self->caption_cues, g_array_unref);
  clear_caption_texture (self);
  if (self->analysis == NULL || self->analysis->words == NULL || self->analysis->words->len == 0)
    return;
  /* Without a plan the source plays as recorded: cues in source time. */
  self->caption_words = ave_caption_words_map (self->analysis, self->plan);
  self->caption_cues = ave_captions_build (self->caption_words, ave_captions_frame_rate (self->analysis),
                                           ave_analysis_get_language (self->analysis));
}

/* Which cue (and highlighted word) the output shows at the playhead; a
 * redraw when that changes. */
static void
update_caption (AvePreview *self)
{
  int cue = -1, word = -1;

  if (self->show_captions && self->analysis != NULL)
    {
      double t;

      ensure_cues (self);
      if (plays_edit (self))
        t = ave_edit_player_get_position (edit_player (self));
      else
        t = self->plan != NULL ? ave_playback_output_time (self->plan, self->current, self->position)
                               : self->position;
      if (self->caption_cues != NULL && t >= 0.0)
        cue = ave_captions_cue_at (self->caption_cues, t);
      if (cue >= 0 && self->caption_style != NULL && self->caption_style->caption_highlight != NULL)
        word = ave_caption_word_at (&g_array_index (self->caption_cues, AveCue, cue), self->caption_words, t);
    }
  if (cue == self->caption_cue && word == self->caption_word)
    return;
  self->caption_cue = cue;
  self->caption_word = word;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Where the picture shows the video (contain: letterboxed), in our
 * coordinates. */
static gboolean
video_rect (AvePreview      *self,
            graphene_rect_t *out)
{
  GdkPaintable *paintable = gtk_picture_get_paintable (GTK_PICTURE (self->picture));
  graphene_rect_t bounds;
  double aspect, width, height;

  if (paintable == NULL || !gtk_widget_compute_bounds (self->picture, GTK_WIDGET (self), &bounds) ||
      bounds.size.width < 2 || bounds.size.height < 2)
    return FALSE;
  aspect = gdk_paintable_get_intrinsic_aspect_ratio (paintable);
  if (aspect <= 0.0 && self->analysis != NULL && self->analysis->media != NULL &&
      self->analysis->media->display_height > 0)
    aspect = (double) self->analysis->media->display_width / self->analysis->media->display_height;
  if (aspect <= 0.0)
    aspect = 16.0 / 9.0;
  width = bounds.size.width;
  height = width / aspect;
  if (height > bounds.size.height)
    {
      height = bounds.size.height;
      width = height * aspect;
    }
  graphene_rect_init (out, bounds.origin.x + (bounds.size.width - width) / 2.0,
                      bounds.origin.y + (bounds.size.height - height) / 2.0, width, height);
  return TRUE;
}

/* The caption as the burned render would draw it on a frame of the
 * preview's size (device pixels, so the text is sharp). */
static void
snapshot_caption (AvePreview  *self,
                  GtkSnapshot *snapshot)
{
  graphene_rect_t video;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  int frame_width, frame_height;

  if (self->caption_cue < 0 || self->caption_cues == NULL || self->caption_style == NULL ||
      (guint) self->caption_cue >= self->caption_cues->len || !video_rect (self, &video))
    return;

  frame_width = MAX (2, (int) lround (video.size.width * scale));
  frame_height = MAX (2, (int) lround (video.size.height * scale));
  if (self->caption_texture == NULL || self->caption_texture_cue != self->caption_cue ||
      self->caption_texture_word != self->caption_word ||
      self->caption_frame_width != frame_width || self->caption_frame_height != frame_height)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = NULL;
      guint8 *rgba = NULL;
      int stride, x, y, width, height;

      clear_caption_texture (self);
      if (!ave_caption_render_rgba (&g_array_index (self->caption_cues, AveCue, self->caption_cue),
                                    self->caption_words, self->caption_word, self->caption_style,
                                    frame_width, frame_height, &rgba, &stride, &x, &y, &width, &height,
                                    &error))
        {
          g_warning ("Cannot draw the caption: %s", error->message);
          return;
        }
      bytes = g_bytes_new_take (rgba, (gsize) stride * height);
      self->caption_texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, stride);
      self->caption_texture_cue = self->caption_cue;
      self->caption_texture_word = self->caption_word;
      self->caption_frame_width = frame_width;
      self->caption_frame_height = frame_height;
      graphene_rect_init (&self->caption_rect, x, y, width, height);
    }
  gtk_snapshot_append_texture (snapshot, self->caption_texture,
                               &GRAPHENE_RECT_INIT (video.origin.x + self->caption_rect.origin.x / scale,
                                                    video.origin.y + self->caption_rect.origin.y / scale,
                                                    self->caption_rect.size.width / scale,
                                                    self->caption_rect.size.height / scale));
}

static void
ave_preview_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  AvePreview *self = AVE_PREVIEW (widget);

  GTK_WIDGET_CLASS (ave_preview_parent_class)->snapshot (widget, snapshot);
  /* the edit burns them into its pictures itself */
  if (self->show_captions && !plays_edit (self))
    snapshot_caption (self, snapshot);
}

/* ------------------------------------------------------------ frame rate */

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;
  AveMediaInfo *info = ave_media_probe (task_data, &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) ave_media_info_free);
}

static void
probe_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) info = g_task_propagate_pointer (G_TASK (result), &error);
  AvePreview *self;

  if (info == NULL)
    return;   /* cancelled, or the stream reports the problem itself */

  self = AVE_PREVIEW (object);
  if (info->has_video && info->frame_rate > 0)
    self->frame_duration = 1.0 / info->frame_rate;
}

/* ------------------------------------------------------------- proxies */

/* The proxy thread's nice value: below the preview and the window. */
#define PROXY_NICE 10

typedef struct
{
  AvePreview   *preview;        /* a reference, released on the main thread */
  GApplication *app;            /* held while the thread runs, or NULL */
  char         *source;
  GCancellable *cancellable;
  char         *proxy_path;
  GError       *error;
} ProxyJob;

static void
proxy_job_free (ProxyJob *job)
{
  g_object_unref (job->preview);
  if (job->app != NULL)
    {
      g_application_release (job->app);
      g_object_unref (job->app);
    }
  g_free (job->source);
  g_object_unref (job->cancellable);
  g_free (job->proxy_path);
  g_clear_error (&job->error);
  g_free (job);
}

static void
proxy_ready (AvePreview *self,
             const char *proxy_path)
{
  g_free (self->proxy_path);
  self->proxy_path = g_strdup (proxy_path);
  if (self->edit != NULL)
    ave_edit_player_set_proxy (edit_player (self), self->path, self->proxy_path);
}

static gboolean
proxy_done (gpointer data)
{
  ProxyJob *job = data;
  AvePreview *self = job->preview;

  if (g_cancellable_is_cancelled (job->cancellable))
    return G_SOURCE_REMOVE;   /* stopped: stop_proxy () let the thread go */
  /* the thread returns right after this was queued: never waited for */
  g_clear_pointer (&self->proxy_thread, g_thread_unref);
  g_clear_object (&self->proxy_cancellable);
  gtk_widget_set_visible (self->proxy_label, FALSE);
  if (job->proxy_path != NULL)
    proxy_ready (self, job->proxy_path);
  else if (g_error_matches (job->error, AVE_MEDIA_ERROR, AVE_MEDIA_ERROR_NO_STREAMS))
    g_debug ("%s has no pictures to make a preview proxy of", job->source);
  else
    /* not the user's problem: the preview reads the source as before */
    g_warning ("No preview proxy for %s (seeks read the source itself): %s",
               job->source, job->error->message);
  return G_SOURCE_REMOVE;
}

static gpointer
proxy_thread (gpointer data)
{
  ProxyJob *job = data;
  g_autoptr(GError) error = NULL;

  /* Below the preview and the window: the proxy only makes later seeks
   * quicker.  The nice value is this thread's own; the decoder's and
   * x264's threads started from here inherit it. */
  if (!ave_job_thread_set_priority (PROXY_NICE, &error))
    g_debug ("The preview proxy is made at normal priority: %s", error->message);
  job->proxy_path = ave_proxy_make (job->source, EDIT_MAX_WIDTH, EDIT_MAX_HEIGHT, NULL,
                                    NULL, NULL, job->cancellable, &job->error);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, proxy_done, job, (GDestroyNotify) proxy_job_free);
  return NULL;
}

/* Stops a proxy being made and forgets the one of the source before.
 * The main loop never waits for the thread: at its lower priority on a
 * busy machine it may take a while to see the cancellation and remove
 * what it wrote.  It finishes on its own; the application is held until
 * it has (so quitting still leaves nothing half-written behind). */
static void
stop_proxy (AvePreview *self)
{
  if (self->proxy_cancellable != NULL)
    g_cancellable_cancel (self->proxy_cancellable);
  g_clear_pointer (&self->proxy_thread, g_thread_unref);
  g_clear_object (&self->proxy_cancellable);
  g_clear_pointer (&self->proxy_path, g_free);
  if (self->proxy_label != NULL)
    gtk_widget_set_visible (self->proxy_label, FALSE);
  if (self->edit != NULL)
    ave_edit_player_set_proxy (edit_player (self), NULL, NULL);
}

/* The proxy of the source: found made before, or made now on a thread. */
static void
start_proxy (AvePreview *self)
{
  g_autofree char *found = NULL;
  ProxyJob *job;

  stop_proxy (self);
  if (!self->use_proxies || self->path == NULL)
    return;
  found = ave_proxy_find (self->path, EDIT_MAX_WIDTH, EDIT_MAX_HEIGHT, NULL);
  if (found != NULL)
    {
      proxy_ready (self, found);
      return;
    }
  job = g_new0 (ProxyJob, 1);
  job->preview = g_object_ref (self);
  job->source = g_strdup (self->path);
  job->cancellable = g_cancellable_new ();
  job->app = g_application_get_default ();
  if (job->app != NULL)
    {
      g_object_ref (job->app);
      g_application_hold (job->app);
    }
  self->proxy_cancellable = g_object_ref (job->cancellable);
  gtk_widget_set_visible (self->proxy_label, TRUE);
  self->proxy_thread = g_thread_new ("ave-proxy", proxy_thread, job);
}

/* ------------------------------------------------------------- actions */

static void
action_play (GtkWidget *widget, const char *name, GVariant *param)
{
  ave_preview_play (AVE_PREVIEW (widget));
}

static void
action_pause (GtkWidget *widget, const char *name, GVariant *param)
{
  ave_preview_pause (AVE_PREVIEW (widget));
}

static void
action_toggle (GtkWidget *widget, const char *name, GVariant *param)
{
  ave_preview_toggle (AVE_PREVIEW (widget));
}

static void
action_back (GtkWidget *widget, const char *name, GVariant *param)
{
  AvePreview *self = AVE_PREVIEW (widget);

  if (plays_edit (self))
    ave_preview_seek_output (self, MAX (0.0, ave_preview_get_output_position (self) - BACK_SECONDS));
  else
    ave_preview_seek (self, self->position - BACK_SECONDS);
}

static void
action_forward (GtkWidget *widget, const char *name, GVariant *param)
{
  AvePreview *self = AVE_PREVIEW (widget);

  if (plays_edit (self))
    ave_preview_seek_output (self, ave_preview_get_output_position (self) + BACK_SECONDS);
  else
    ave_preview_seek (self, self->position + BACK_SECONDS);
}

static void
action_step (GtkWidget *widget, const char *name, GVariant *param)
{
  ave_preview_step (AVE_PREVIEW (widget), g_variant_get_int32 (param));
}

/* ------------------------------------------------------------ the object */

static void
clear_stream (AvePreview *self)
{
  if (self->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->stream, self);
      gtk_media_stream_pause (self->stream);
    }
  g_clear_object (&self->stream);
  g_clear_handle_id (&self->reopen_id, g_source_remove);
  if (self->picture != NULL)
    gtk_picture_set_paintable (GTK_PICTURE (self->picture), NULL);
  if (self->controls != NULL)
    gtk_media_controls_set_media_stream (GTK_MEDIA_CONTROLS (self->controls), NULL);
  update_tick (self);
}

static void
ave_preview_dispose (GObject *object)
{
  AvePreview *self = AVE_PREVIEW (object);

  g_cancellable_cancel (self->probe_cancellable);
  g_clear_object (&self->probe_cancellable);
  stop_proxy (self);
  clear_stream (self);
  g_clear_object (&self->edit);
  if (self->plan != NULL)
    g_clear_signal_handler (&self->plan_changed_id, self->plan);
  g_clear_object (&self->plan);
  clear_caption_texture (self);
  g_clear_pointer (&self->caption_words, g_array_unref);
  g_clear_pointer (&self->caption_cues, g_array_unref);
  g_clear_pointer (&self->analysis, ave_analysis_unref);
  g_clear_pointer (&self->caption_style, ave_settings_free);
  g_clear_pointer (&self->picture, gtk_widget_unparent);
  self->controls = NULL;
  self->captions_button = NULL;
  g_clear_pointer (&self->bar, gtk_widget_unparent);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (ave_preview_parent_class)->dispose (object);
}

static void
ave_preview_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  AvePreview *self = AVE_PREVIEW (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_string (value, self->path);
      break;
    case PROP_PLAN:
      g_value_set_object (value, self->plan);
      break;
    case PROP_POSITION:
      g_value_set_double (value, self->position);
      break;
    case PROP_DURATION:
      g_value_set_double (value, ave_preview_get_duration (self));
      break;
    case PROP_PLAYING:
      g_value_set_boolean (value, ave_preview_get_playing (self));
      break;
    case PROP_SHOW_CAPTIONS:
      g_value_set_boolean (value, self->show_captions);
      break;
    case PROP_USE_PROXIES:
      g_value_set_boolean (value, self->use_proxies);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_preview_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  AvePreview *self = AVE_PREVIEW (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      ave_preview_set_source (self, g_value_get_string (value));
      break;
    case PROP_PLAN:
      ave_preview_set_plan (self, g_value_get_object (value));
      break;
    case PROP_POSITION:
      ave_preview_seek (self, g_value_get_double (value));
      break;
    case PROP_PLAYING:
      if (g_value_get_boolean (value))
        ave_preview_play (self);
      else
        ave_preview_pause (self);
      break;
    case PROP_SHOW_CAPTIONS:
      ave_preview_set_show_captions (self, g_value_get_boolean (value));
      break;
    case PROP_USE_PROXIES:
      ave_preview_set_use_proxies (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_preview_class_init (AvePreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ave_preview_dispose;
  object_class->get_property = ave_preview_get_property;
  object_class->set_property = ave_preview_set_property;
  widget_class->snapshot = ave_preview_snapshot;

  properties[PROP_SOURCE] =
    g_param_spec_string ("source", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAN] =
    g_param_spec_object ("plan", NULL, NULL, AVE_TYPE_PLAN,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_POSITION] =
    g_param_spec_double ("position", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DURATION] =
    g_param_spec_double ("duration", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYING] =
    g_param_spec_boolean ("playing", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_CAPTIONS] =
    g_param_spec_boolean ("show-captions", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USE_PROXIES] =
    g_param_spec_boolean ("use-proxies", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "preview.play", NULL, action_play);
  gtk_widget_class_install_action (widget_class, "preview.pause", NULL, action_pause);
  gtk_widget_class_install_action (widget_class, "preview.toggle", NULL, action_toggle);
  gtk_widget_class_install_action (widget_class, "preview.back", NULL, action_back);
  gtk_widget_class_install_action (widget_class, "preview.forward", NULL, action_forward);
  gtk_widget_class_install_action (widget_class, "preview.step", "i", action_step);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "preview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
add_shortcut (GtkShortcutController *controller,
              guint                  key,
              const char            *action,
              GVariant              *args)
{
  GtkShortcut *shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (key, 0),
                                            gtk_named_action_new (action));

  if (args != NULL)
    gtk_shortcut_set_arguments (shortcut, args);
  gtk_shortcut_controller_add_shortcut (controller, shortcut);
}

static void
ave_preview_init (AvePreview *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  GtkEventController *shortcuts = gtk_shortcut_controller_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->current = -1;
  self->pending_seek = -1;
  self->frame_duration = DEFAULT_FRAME_DURATION;
  self->caption_cue = self->caption_word = -1;
  self->caption_texture_cue = self->caption_texture_word = -1;
  self->caption_style = ave_settings_new ();
  self->use_proxies = TRUE;
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);

  self->picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_vexpand (self->picture, TRUE);
  gtk_widget_set_hexpand (self->picture, TRUE);
  gtk_widget_set_parent (self->picture, GTK_WIDGET (self));

  self->bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_parent (self->bar, GTK_WIDGET (self));
  self->controls = gtk_media_controls_new (NULL);
  gtk_widget_set_hexpand (self->controls, TRUE);
  gtk_box_append (GTK_BOX (self->bar), self->controls);
  /* Quietly, while the preview proxy is made: seeks get quicker soon. */
  self->proxy_label = gtk_label_new (_("Preparing the preview…"));
  gtk_widget_add_css_class (self->proxy_label, "dim-label");
  gtk_widget_add_css_class (self->proxy_label, "caption");
  gtk_widget_set_margin_end (self->proxy_label, 6);
  gtk_widget_set_tooltip_text (self->proxy_label,
                               _("A small copy of the video is being made so that seeking in the preview is quick"));
  gtk_widget_set_visible (self->proxy_label, FALSE);
  gtk_box_append (GTK_BOX (self->bar), self->proxy_label);
  /* Captions over the picture, to check them before rendering. */
  self->captions_button = gtk_toggle_button_new ();
  gtk_button_set_icon_name (GTK_BUTTON (self->captions_button), "media-view-subtitles-symbolic");
  gtk_widget_set_tooltip_text (self->captions_button, _("Show Captions"));
  gtk_widget_set_valign (self->captions_button, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_end (self->captions_button, 6);
  gtk_widget_add_css_class (self->captions_button, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->captions_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Show Captions"), -1);
  gtk_box_append (GTK_BOX (self->bar), self->captions_button);
  g_object_bind_property (self, "show-captions", self->captions_button, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);

  /* J/K/L as in every editor: back, pause, play. */
  self->shortcuts = GTK_SHORTCUT_CONTROLLER (shortcuts);
  add_shortcut (self->shortcuts, GDK_KEY_j, "preview.back", NULL);
  add_shortcut (self->shortcuts, GDK_KEY_k, "preview.pause", NULL);
  add_shortcut (self->shortcuts, GDK_KEY_l, "preview.play", NULL);
  add_shortcut (self->shortcuts, GDK_KEY_space, "preview.toggle", NULL);
  add_shortcut (self->shortcuts, GDK_KEY_Left, "preview.step", g_variant_new_int32 (-1));
  add_shortcut (self->shortcuts, GDK_KEY_Right, "preview.step", g_variant_new_int32 (1));
  add_shortcut (self->shortcuts, GDK_KEY_comma, "preview.step", g_variant_new_int32 (-1));
  add_shortcut (self->shortcuts, GDK_KEY_period, "preview.step", g_variant_new_int32 (1));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  /* A click on the picture gives it the keys. */
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (gtk_widget_grab_focus), self);
  gtk_widget_add_controller (self->picture, GTK_EVENT_CONTROLLER (click));
}

static void
attach_stream (AvePreview     *self,
               GtkMediaStream *stream)
{
  self->stream = stream;
  g_signal_connect (self->stream, "notify::timestamp", G_CALLBACK (on_timestamp), self);
  g_signal_connect (self->stream, "notify::playing", G_CALLBACK (on_playing), self);
  g_signal_connect (self->stream, "notify::duration", G_CALLBACK (on_duration), self);
  g_signal_connect (self->stream, "notify::prepared", G_CALLBACK (on_prepared), self);
  g_signal_connect (self->stream, "notify::error", G_CALLBACK (on_error), self);
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (self->stream));
  gtk_media_controls_set_media_stream (GTK_MEDIA_CONTROLS (self->controls), self->stream);
}

/* Opens the plan as it is now in the edit player, at `output_time`. */
static void
open_edit (AvePreview *self,
           double      output_time,
           gboolean    play)
{
  g_autoptr(AveSettings) settings = ave_settings_copy (self->caption_style);
  AveComposeCaptions captions = { 0 };
  /* Captions as --burn-captions draws them, by the same engine path. */
  settings->burn_captions = self->show_captions;
  /* A seek decodes from the keyframe before: one decoder thread per core
   * (the composer gives each of its two sources half the workers). */
  settings->n_workers = 2 * (int) g_get_num_processors ();
  if (self->show_captions && self->analysis != NULL)
    {
      ensure_cues (self);
      captions.words = self->caption_words;
      captions.cues = self->caption_cues;
    }
  if (gtk_media_stream_is_prepared (self->stream))
    gtk_media_stream_stream_unprepared (self->stream);
  ave_edit_player_set_proxy (edit_player (self), self->path, self->proxy_path);
  ave_edit_player_open (edit_player (self), self->plan, settings,
                        captions.cues != NULL ? &captions : NULL,
                        EDIT_MAX_WIDTH, EDIT_MAX_HEIGHT, output_time, play);
}

/* With a source and a plan the preview plays the edit; with a source
 * alone, the file through GTK's media backend. */
static void
update_mode (AvePreview *self)
{
  gboolean want_edit = self->path != NULL && self->plan != NULL;
  double output_time = 0.0;

  if (want_edit == plays_edit (self) && (self->stream != NULL || self->path == NULL))
    {
      if (want_edit)
        open_edit (self, ave_edit_player_get_position (edit_player (self)), FALSE);
      return;
    }

  if (self->stream != NULL && self->plan != NULL && !plays_edit (self))
    output_time = MAX (0.0, ave_plan_source_to_output (self->plan, self->position));
  clear_stream (self);
  if (self->path == NULL)
    return;

  if (want_edit)
    {
      if (self->edit == NULL)
        self->edit = ave_edit_media_new ();
      attach_stream (self, GTK_MEDIA_STREAM (g_object_ref (self->edit)));
      open_edit (self, output_time, FALSE);
    }
  else
    attach_stream (self, gtk_media_file_new_for_filename (self->path));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
}

GtkWidget *
ave_preview_new (void)
{
  return g_object_new (AVE_TYPE_PREVIEW, NULL);
}

void
ave_preview_set_source (AvePreview *self,
                        const char *path)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (g_strcmp0 (path, self->path) == 0)
    return;

  clear_stream (self);
  g_cancellable_cancel (self->probe_cancellable);
  g_clear_object (&self->probe_cancellable);
  stop_proxy (self);
  g_free (self->path);
  self->path = g_strdup (path);
  self->current = -1;
  self->anchor_position = 0.0;
  self->pending_seek = -1;
  self->frame_duration = DEFAULT_FRAME_DURATION;

  if (path != NULL)
    {
      update_mode (self);

      /* The frame rate (for frame steps) comes from our own probe, off
       * the main thread: the media backend does not report it. */
      self->probe_cancellable = g_cancellable_new ();
      task = g_task_new (self, self->probe_cancellable, probe_done, NULL);
      g_task_set_task_data (task, g_strdup (path), g_free);
      g_task_run_in_thread (task, probe_thread);
      start_proxy (self);
    }

  set_position (self, 0.0, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
}

const char *
ave_preview_get_source (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), NULL);

  return self->path;
}

void
ave_preview_set_plan (AvePreview *self,
                      AvePlan    *plan)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));
  g_return_if_fail (plan == NULL || AVE_IS_PLAN (plan));

  if (plan == self->plan)
    return;

  if (self->plan != NULL)
    g_clear_signal_handler (&self->plan_changed_id, self->plan);
  g_set_object (&self->plan, plan);
  if (plan != NULL)
    self->plan_changed_id = g_signal_connect (plan, "changed", G_CALLBACK (on_plan_changed), self);
  self->current = -1;
  self->captions_stale = TRUE;
  update_mode (self);
  if (self->stream != NULL && gtk_media_stream_get_playing (self->stream))
    follow_plan (self);
  update_caption (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAN]);
}

AvePlan *
ave_preview_get_plan (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), NULL);

  return self->plan;
}

void
ave_preview_play (AvePreview *self)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (self->stream == NULL)
    return;
  if (plays_edit (self))
    {
      /* the stream may still be opening: it plays once open */
      if (gtk_media_stream_is_prepared (self->stream))
        gtk_media_stream_play (self->stream);
      else
        ave_edit_player_play (edit_player (self));
      return;
    }
  /* Playing again from the end of the edit starts it over. */
  if (self->plan != NULL && (self->plan_finished || gtk_media_stream_get_ended (self->stream)))
    {
      for (guint i = 0; i < ave_plan_get_n_segments (self->plan); i++)
        if (ave_plan_get_segment (self->plan, i)->enabled)
          {
            ave_preview_seek (self, ave_plan_get_segment (self->plan, i)->start);
            break;
          }
    }
  gtk_media_stream_play (self->stream);
}

void
ave_preview_pause (AvePreview *self)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (self->stream != NULL)
    gtk_media_stream_pause (self->stream);
  if (plays_edit (self))
    ave_edit_player_pause (edit_player (self));
}

void
ave_preview_toggle (AvePreview *self)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (ave_preview_get_playing (self))
    ave_preview_pause (self);
  else
    ave_preview_play (self);
}

gboolean
ave_preview_get_playing (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), FALSE);

  if (plays_edit (self))
    return ave_edit_player_get_playing (edit_player (self));
  return self->stream != NULL && gtk_media_stream_get_playing (self->stream);
}

void
ave_preview_seek (AvePreview *self,
                  double      source_time)
{
  double duration;

  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (self->stream == NULL || !isfinite (source_time))
    return;

  duration = ave_preview_get_duration (self);
  if (duration > 0)
    source_time = MIN (source_time, duration);
  /* A seek starts a new run through the plan from wherever it lands. */
  self->current = -1;
  self->plan_finished = FALSE;
  stream_seek (self, source_time);
}

double
ave_preview_get_position (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), 0.0);

  return self->position;
}

double
ave_preview_get_duration (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), 0.0);

  if (self->stream == NULL)
    return 0.0;
  /* source seconds, like the position */
  if (plays_edit (self))
    return ave_plan_get_source_duration (self->plan);
  return gtk_media_stream_get_duration (self->stream) / (double) G_USEC_PER_SEC;
}

void
ave_preview_step (AvePreview *self,
                  int         frames)
{
  double frame, target;

  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (self->stream == NULL || frames == 0)
    return;

  if (plays_edit (self))
    {
      ave_edit_player_step (edit_player (self), frames);
      set_position (self, estimated_position (self), TRUE);
      return;
    }
  ave_preview_pause (self);
  frame = self->frame_duration;
  /* Aim at the middle of the frame: a seek to its exact start may land on
   * the frame before when timestamps are rounded; repeated steps stay on
   * the frame grid. */
  target = (floor (self->position / frame + 1e-3) + frames + 0.5) * frame;
  if (self->plan != NULL)
    target = ave_playback_step_target (self->plan, target, frames > 0 ? 1 : -1, frame);
  ave_preview_seek (self, MAX (0.0, target));
}

void
ave_preview_set_shortcut_scope (AvePreview       *self,
                                GtkShortcutScope  scope)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  gtk_shortcut_controller_set_scope (self->shortcuts, scope);
}

void
ave_preview_set_show_controls (AvePreview *self,
                               gboolean    show)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  gtk_widget_set_visible (self->bar, show);
}

void
ave_preview_set_analysis (AvePreview  *self,
                          AveAnalysis *analysis)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (analysis == self->analysis)
    return;
  if (analysis != NULL)
    ave_analysis_ref (analysis);
  g_clear_pointer (&self->analysis, ave_analysis_unref);
  self->analysis = analysis;
  self->captions_stale = TRUE;
  update_caption (self);
  if (plays_edit (self))
    open_edit (self, ave_edit_player_get_position (edit_player (self)),
               ave_edit_player_get_playing (edit_player (self)));
}

void
ave_preview_set_caption_style (AvePreview        *self,
                               const AveSettings *settings)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));
  g_return_if_fail (settings != NULL);

  g_clear_pointer (&self->caption_style, ave_settings_free);
  self->caption_style = ave_settings_copy (settings);
  clear_caption_texture (self);
  /* The highlight may have been switched on or off. */
  self->caption_word = -2;
  update_caption (self);
  if (plays_edit (self) && self->show_captions)
    open_edit (self, ave_edit_player_get_position (edit_player (self)),
               ave_edit_player_get_playing (edit_player (self)));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ave_preview_set_show_captions (AvePreview *self,
                               gboolean    show)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  show = !!show;
  if (show == self->show_captions)
    return;
  self->show_captions = show;
  update_caption (self);
  if (plays_edit (self))
    open_edit (self, ave_edit_player_get_position (edit_player (self)),
               ave_edit_player_get_playing (edit_player (self)));
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_CAPTIONS]);
}

gboolean
ave_preview_get_show_captions (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), FALSE);

  return self->show_captions;
}

int
ave_preview_get_caption (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), -1);

  return self->caption_cue;
}

gboolean
ave_preview_get_plays_edit (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), FALSE);

  return plays_edit (self);
}

void
ave_preview_seek_output (AvePreview *self,
                         double      output_time)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  if (!isfinite (output_time))
    return;
  if (!plays_edit (self))
    {
      /* the source plays: the source moment of that output time */
      if (self->plan != NULL)
        ave_preview_seek (self, ave_plan_output_to_source (self->plan, output_time));
      return;
    }
  if (gtk_media_stream_is_prepared (self->stream))
    gtk_media_stream_seek (self->stream, (gint64) llround (MAX (output_time, 0.0) * G_USEC_PER_SEC));
  else
    ave_edit_player_seek (edit_player (self), output_time);
  set_position (self, estimated_position (self), TRUE);
}

double
ave_preview_get_output_position (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), 0.0);

  if (plays_edit (self))
    return ave_edit_player_get_position (edit_player (self));
  if (self->plan != NULL)
    return ave_playback_output_time (self->plan, self->current, self->position);
  return self->position;
}

double
ave_preview_get_output_duration (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), 0.0);

  if (self->plan != NULL)
    return ave_plan_get_output_duration (self->plan);
  return ave_preview_get_duration (self);
}

gint64
ave_preview_get_shown_frame (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), -1);

  if (!plays_edit (self) || !ave_edit_player_is_settled (edit_player (self)))
    return -1;
  return ave_edit_player_get_frame_index (edit_player (self));
}

GdkTexture *
ave_preview_get_shown_texture (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), NULL);

  return plays_edit (self) ? ave_edit_player_get_texture (edit_player (self)) : NULL;
}

gboolean
ave_preview_get_edit_stats (AvePreview         *self,
                            AveEditPlayerStats *stats)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), FALSE);

  if (!plays_edit (self))
    return FALSE;
  ave_edit_player_get_stats (edit_player (self), stats);
  return TRUE;
}

void
ave_preview_set_use_proxies (AvePreview *self,
                             gboolean    use)
{
  g_return_if_fail (AVE_IS_PREVIEW (self));

  use = !!use;
  if (use == self->use_proxies)
    return;
  self->use_proxies = use;
  if (use)
    start_proxy (self);
  else
    stop_proxy (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_PROXIES]);
}

gboolean
ave_preview_get_use_proxies (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), FALSE);

  return self->use_proxies;
}

gboolean
ave_preview_get_uses_proxy (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), FALSE);

  return plays_edit (self) && ave_edit_player_get_uses_proxy (edit_player (self));
}

gboolean
ave_preview_get_preparing_proxy (AvePreview *self)
{
  g_return_val_if_fail (AVE_IS_PREVIEW (self), FALSE);

  return self->proxy_thread != NULL;
}
