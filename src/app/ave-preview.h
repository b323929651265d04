/* ave-preview.h — the player: the source as recorded, or the edit as it
 * will render, without rendering first.
 *
 * With a plan it plays the edit itself: the engine's composer (the render's
 * own code, ave-edit-stream.h) composes cuts, crossfades, fades, title
 * cards, overlays and burned captions at preview size on a worker thread,
 * and the sound comes out through GStreamer (ave-edit-player.h).  Without
 * a plan it plays the source through GTK's media backend (GStreamer:
 * libgtk-4-media-gstreamer).
 *
 * Keys (while the preview has focus, or anywhere in the window with
 * ave_preview_set_shortcut_scope): J back two seconds, K pause, L play,
 * Space play/pause, Left/Right (or , and .) one frame back/forward; with a
 * plan, seconds and frames of the edit (output time).
 *
 * Actions (group "preview"): play, pause, toggle, back, forward, step
 * (int frames).
 */
#pragma once

#include <gtk/gtk.h>

#include "analysis/ave-analysis.h"
#include "core/ave-settings.h"
#include "director/ave-plan.h"
#include "ave-edit-player.h"

G_BEGIN_DECLS

#define AVE_TYPE_PREVIEW (ave_preview_get_type ())
G_DECLARE_FINAL_TYPE (AvePreview, ave_preview, AVE, PREVIEW, GtkWidget)

GtkWidget  *ave_preview_new                (void);
/* The file to play (NULL: nothing). */
void        ave_preview_set_source         (AvePreview *self,
                                            const char *path);
const char *ave_preview_get_source         (AvePreview *self);
/* With a plan, the edit plays as it will render, and follows the plan as
 * it is edited (the edit is composed again from the playhead's output
 * time).  NULL plays the source as it is.  A reference is kept. */
void        ave_preview_set_plan           (AvePreview *self,
                                            AvePlan    *plan);
AvePlan    *ave_preview_get_plan           (AvePreview *self);

void        ave_preview_play               (AvePreview *self);
void        ave_preview_pause              (AvePreview *self);
void        ave_preview_toggle             (AvePreview *self);
gboolean    ave_preview_get_playing        (AvePreview *self);
/* Source seconds (with a plan, the source moment the edit shows; a cut
 * moment seeks to the next kept one); "position" is notified a few times a second while
 * playing and after every seek. */
void        ave_preview_seek               (AvePreview *self,
                                            double      source_time);
double      ave_preview_get_position       (AvePreview *self);
double      ave_preview_get_duration       (AvePreview *self);
/* Pauses and moves by whole frames (negative: back); with a plan, frames
 * of the edit (output time). */
void        ave_preview_step               (AvePreview *self,
                                            int         frames);
/* LOCAL (default): the keys work while the preview has focus; GLOBAL:
 * anywhere in its window. */
void        ave_preview_set_shortcut_scope (AvePreview       *self,
                                            GtkShortcutScope  scope);
/* The controls under the picture (play, position, volume); shown by
 * default. */
void        ave_preview_set_show_controls  (AvePreview *self,
                                            gboolean    show);

/* Captions over the picture ("show-captions", off by default): the cue
 * of final.srt at the output time the playhead shows (with a plan; the
 * source time without one), drawn by the engine's caption renderer in
 * the caption style of `settings` (its caption_* fields: font, size
 * relative to the picture height, position, outline, box, highlight), as
 * --burn-captions would draw it.  The cues are the engine's, built from
 * the analysis' words and rebuilt when the plan changes. */
void        ave_preview_set_analysis       (AvePreview        *self,
                                            AveAnalysis       *analysis);
void        ave_preview_set_caption_style  (AvePreview        *self,
                                            const AveSettings *settings);
void        ave_preview_set_show_captions  (AvePreview        *self,
                                            gboolean           show);
gboolean    ave_preview_get_show_captions  (AvePreview        *self);
/* The cue shown now (an index into the cues), -1 for none. */
int         ave_preview_get_caption        (AvePreview        *self);

/* Output time: where the edit is (with a plan; the source's time without
 * one), the frame shown after seek_output(t) being the edit's frame of t. */
void        ave_preview_seek_output         (AvePreview *self,
                                             double      output_time);
double      ave_preview_get_output_position (AvePreview *self);
double      ave_preview_get_output_duration (AvePreview *self);
/* Whether the edit plays (a plan and a source), and then the output frame
 * on screen once the last seek has found it (-1 before), its picture, and
 * playback figures (bench/bench-ui.sh). */
gboolean    ave_preview_get_plays_edit      (AvePreview *self);
gint64      ave_preview_get_shown_frame     (AvePreview *self);
GdkTexture *ave_preview_get_shown_texture   (AvePreview *self);
gboolean    ave_preview_get_edit_stats      (AvePreview         *self,
                                             AveEditPlayerStats *stats);

/* Preview proxies ("use-proxies", on by default): with a source set, a
 * small copy of its pictures that seeks quickly (media/ave-proxy.h) is
 * found in the cache or made on a thread of lower priority, and the edit
 * then reads its pictures from it, from the frame it stands at on; a
 * label by the controls says the preview is being prepared meanwhile.
 * Off: the edit reads the source (an edit open on a proxy keeps it until
 * it is opened again). */
void        ave_preview_set_use_proxies     (AvePreview *self,
                                             gboolean    use);
gboolean    ave_preview_get_use_proxies     (AvePreview *self);
/* Whether the edit on screen reads its pictures from a proxy now. */
gboolean    ave_preview_get_uses_proxy      (AvePreview *self);
/* Whether a proxy is being made. */
gboolean    ave_preview_get_preparing_proxy (AvePreview *self);

G_END_DECLS
