/* ave-timeline-layer.h — the timeline is drawn in layers, one small class
 * each (as Sysprof draws its charts): ruler, filmstrip, waveform, markers
 * (silences, highlights, words and fillers, shot cuts), segments, cards
 * (title cards and overlays), captions, the edit in progress and the
 * playhead, bottom to top.
 *
 * AveTimeline owns the state and the input; for each frame it fills one
 * AveTimelineView (what to draw, where, in which colours) and asks every
 * layer to draw it.  A layer keeps no state of its own and never edits:
 * it only reads the view.  Geometry shared with the input handling (rows,
 * item and overlay positions, joins) is in ave-timeline-layout.h.
 */
#pragma once

#include <gtk/gtk.h>

#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"
#include "director/ave-snap.h"
#include "ave-filmstrip.h"
#include "ave-timeline-layout.h"

G_BEGIN_DECLS

typedef enum {
  AVE_TIMELINE_DRAG_NONE,
  AVE_TIMELINE_DRAG_TRIM_START,
  AVE_TIMELINE_DRAG_TRIM_END,
  AVE_TIMELINE_DRAG_MOVE,
  AVE_TIMELINE_DRAG_MOVE_TITLE,     /* a title card to another slot */
  AVE_TIMELINE_DRAG_MOVE_OVERLAY,   /* an overlay card along output time */
} AveTimelineDragMode;

/* The pointer edit in progress (AveTimeline's; layers read it). */
typedef struct
{
  AveTimelineDragMode mode;
  guint        item;        /* layout item */
  gboolean     active;      /* past the threshold: a drag, not a click */
  double       start_x;     /* content x */
  double       x;           /* content x */
  double       time;        /* trim: the snapped source time */
  AveSnapKind  snap;
  guint        slot;        /* move: the target index */
  guint        card;        /* card moves: the card's index */
  double       card_time;   /* overlay moves: its output time at the start */
  double       hover_x;     /* content x of a card dragged over us, or -1 */
} AveTimelineDrag;

/* Colours for the style in use: read from the widget's style (its
 * foreground, the theme's accent) so every row reads in the light and the
 * dark style; the few fixed hues (amber retakes, purple cards, teal
 * captions, red playhead) carry their own text colour. */
typedef struct
{
  gboolean dark;            /* light text on a dark background */
  GdkRGBA  fg;              /* the widget's text colour */
  GdkRGBA  bg;              /* the view's background */
  GdkRGBA  accent;          /* kept segments, the waveform */
  GdkRGBA  accent_fg;       /* text on the accent */
  GdkRGBA  selection;       /* the selected segment's or card's outline */
} AveTimelinePalette;

void        ave_timeline_palette_init    (AveTimelinePalette *palette,
                                          GtkWidget          *widget);
/* `color` with its alpha multiplied by `alpha`. */
GdkRGBA     ave_timeline_palette_alpha   (const GdkRGBA      *color,
                                          double              alpha);

/* One frame of the timeline, as the layers see it. */
typedef struct
{
  GtkWidget               *widget;        /* the timeline: fonts */
  AvePlan                 *plan;
  const AveAnalysis       *analysis;      /* nullable */
  const AveTimelineLayout *layout;
  AveFilmstrip            *filmstrip;     /* nullable */
  int                      thumb_width;
  double                   zoom;          /* pixels per source second */
  double                   scroll;        /* content x at the widget's left, less PAD */
  double                   width;         /* the widget's */
  double                   visible_start; /* content x */
  double                   visible_end;
  double                   playhead;      /* source seconds */
  int                      selected;      /* segment index or -1 */
  int                      selected_card; /* card index or -1 */
  GArray                  *caption_cues;  /* AveCue, nullable */
  GArray                  *caption_blocks;/* AveTimelineCaption, nullable */
  const AveTimelineDrag   *drag;
  AveTimelinePalette       palette;
} AveTimelineView;

static inline double
ave_timeline_view_x (const AveTimelineView *view,
                     double                 content_x)
{
  return content_x - view->scroll + AVE_TIMELINE_PAD;
}

static inline const AveTimelineItem *
ave_timeline_view_item (const AveTimelineView *view,
                        guint                  i)
{
  return &g_array_index (view->layout->items, AveTimelineItem, i);
}

/* Whether a layout item is at least partly on screen. */
static inline gboolean
ave_timeline_view_shows (const AveTimelineView *view,
                         const AveTimelineItem *item)
{
  return item->x + item->width >= view->visible_start && item->x <= view->visible_end;
}

/* Drawing helpers the layers share. */
void        ave_timeline_append_rect     (GtkSnapshot   *snapshot,
                                          const GdkRGBA *color,
                                          double         x,
                                          double         y,
                                          double         width,
                                          double         height);
/* Small text at (x, y), ellipsized to `max_width` when it is > 0. */
void        ave_timeline_append_text     (const AveTimelineView *view,
                                          GtkSnapshot   *snapshot,
                                          const char    *text,
                                          const GdkRGBA *color,
                                          double         x,
                                          double         y,
                                          double         max_width);
/* A rounded outline `width` pixels wide inside the rectangle. */
void        ave_timeline_append_outline  (GtkSnapshot   *snapshot,
                                          const GdkRGBA *color,
                                          double         width,
                                          double         x,
                                          double         y,
                                          double         w,
                                          double         h);
/* "m:ss" at a precision of a second or more, "m:ss.s" below. */
char       *ave_timeline_format_time     (double         seconds,
                                          double         precision);
/* The sign of a crossfade or a fade through black at a join at x. */
void        ave_timeline_draw_transition (GtkSnapshot       *snapshot,
                                          const GdkRGBA     *color,
                                          AveTransitionType  transition,
                                          double             x);

/* -------------------------------------------------------- the classes */

#define AVE_TYPE_TIMELINE_LAYER (ave_timeline_layer_get_type ())
G_DECLARE_DERIVABLE_TYPE (AveTimelineLayer, ave_timeline_layer, AVE, TIMELINE_LAYER, GObject)

struct _AveTimelineLayerClass
{
  GObjectClass parent_class;

  void (*snapshot) (AveTimelineLayer      *self,
                    const AveTimelineView *view,
                    GtkSnapshot           *snapshot);
};

void              ave_timeline_layer_snapshot (AveTimelineLayer      *self,
                                               const AveTimelineView *view,
                                               GtkSnapshot           *snapshot);

/* Each in its own file, ave-timeline-layer-NAME.c. */
#define AVE_TYPE_TIMELINE_RULER_LAYER (ave_timeline_ruler_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineRulerLayer, ave_timeline_ruler_layer, AVE, TIMELINE_RULER_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_FILM_LAYER (ave_timeline_film_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineFilmLayer, ave_timeline_film_layer, AVE, TIMELINE_FILM_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_WAVEFORM_LAYER (ave_timeline_waveform_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineWaveformLayer, ave_timeline_waveform_layer, AVE, TIMELINE_WAVEFORM_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_MARKERS_LAYER (ave_timeline_markers_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineMarkersLayer, ave_timeline_markers_layer, AVE, TIMELINE_MARKERS_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_SEGMENTS_LAYER (ave_timeline_segments_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineSegmentsLayer, ave_timeline_segments_layer, AVE, TIMELINE_SEGMENTS_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_CARDS_LAYER (ave_timeline_cards_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineCardsLayer, ave_timeline_cards_layer, AVE, TIMELINE_CARDS_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_CAPTIONS_LAYER (ave_timeline_captions_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineCaptionsLayer, ave_timeline_captions_layer, AVE, TIMELINE_CAPTIONS_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_DRAG_LAYER (ave_timeline_drag_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelineDragLayer, ave_timeline_drag_layer, AVE, TIMELINE_DRAG_LAYER, AveTimelineLayer)
#define AVE_TYPE_TIMELINE_PLAYHEAD_LAYER (ave_timeline_playhead_layer_get_type ())
G_DECLARE_FINAL_TYPE (AveTimelinePlayheadLayer, ave_timeline_playhead_layer, AVE, TIMELINE_PLAYHEAD_LAYER, AveTimelineLayer)

G_END_DECLS
