/* ave-preview.h — the player: the source as recorded, or the plan applied
 * live (cut ranges skipped, segments played in output order) without
 * rendering first.
 *
 * Plays through GTK's media backend (GStreamer: libgtk-4-media-gstreamer).
 * Keys (while the preview has focus, or anywhere in the window with
 * ave_preview_set_shortcut_scope): J back two seconds, K pause, L play,
 * Space play/pause, Left/Right (or , and .) one frame back/forward.
 *
 * Actions (group "preview"): play, pause, toggle, back, forward, step
 * (int frames).
 */
#pragma once

#include <gtk/gtk.h>

#include "analysis/ave-analysis.h"
#include "core/ave-settings.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

#define AVE_TYPE_PREVIEW (ave_preview_get_type ())
G_DECLARE_FINAL_TYPE (AvePreview, ave_preview, AVE, PREVIEW, GtkWidget)

GtkWidget  *ave_preview_new                (void);
/* The file to play (NULL: nothing). */
void        ave_preview_set_source         (AvePreview *self,
                                            const char *path);
const char *ave_preview_get_source         (AvePreview *self);
/* With a plan, playback follows it as it is edited: at the end of an
 * enabled segment it goes on at the start of the next enabled segment in
 * plan (output) order; positions in no enabled segment are skipped.  NULL
 * plays the source as it is.  A reference is kept. */
void        ave_preview_set_plan           (AvePreview *self,
                                            AvePlan    *plan);
AvePlan    *ave_preview_get_plan           (AvePreview *self);

void        ave_preview_play               (AvePreview *self);
void        ave_preview_pause              (AvePreview *self);
void        ave_preview_toggle             (AvePreview *self);
gboolean    ave_preview_get_playing        (AvePreview *self);
/* Source seconds; "position" is notified a few times a second while
 * playing and after every seek. */
void        ave_preview_seek               (AvePreview *self,
                                            double      source_time);
double      ave_preview_get_position       (AvePreview *self);
double      ave_preview_get_duration       (AvePreview *self);
/* Pauses and moves by whole frames (negative: back); with a plan, cut
 * ranges are stepped over. */
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

G_END_DECLS
