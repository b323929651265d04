/* ave-timeline-piece.c — a segment or a card as a focusable, accessible
 * widget (see the header). */
#define G_LOG_DOMAIN "ave-timeline"

#include "config.h"

#include "ave-timeline-layer.h"
#include "ave-timeline-piece.h"

struct _AveTimelinePiece
{
  GtkWidget             parent_instance;

  AveTimelinePieceKind  kind;
  guint                 index;
  char                 *label;
  gboolean              selected;
};

G_DEFINE_FINAL_TYPE (AveTimelinePiece, ave_timeline_piece, GTK_TYPE_WIDGET)

/* The focus ring: two rings around the chip, the style's text colour
 * outside and its background inside, so it shows on the accent blue, on
 * amber and grey chips and on the background, in the light and the dark
 * style.  Drawn whenever the piece has the focus, pointer or keys: a
 * keyboard user must always see where the next key goes. */
static void
ave_timeline_piece_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  AveTimelinePalette palette;
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);

  if (!gtk_widget_has_focus (widget))
    return;

  ave_timeline_palette_init (&palette, widget);
  ave_timeline_append_outline (snapshot, &palette.fg, 2, -3, -3, width + 6, height + 6);
  ave_timeline_append_outline (snapshot, &palette.bg, 1, -1, -1, width + 2, height + 2);
}

static void
on_focus_changed (GtkWidget  *widget,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  gtk_widget_queue_draw (widget);
}

static void
ave_timeline_piece_finalize (GObject *object)
{
  AveTimelinePiece *self = AVE_TIMELINE_PIECE (object);

  g_free (self->label);

  G_OBJECT_CLASS (ave_timeline_piece_parent_class)->finalize (object);
}

static void
ave_timeline_piece_class_init (AveTimelinePieceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ave_timeline_piece_finalize;
  widget_class->snapshot = ave_timeline_piece_snapshot;

  gtk_widget_class_set_css_name (widget_class, "timelinepiece");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LIST_ITEM);
}

static void
ave_timeline_piece_init (AveTimelinePiece *self)
{
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  /* The timeline picks the pointer's target itself (edges, bodies,
   * rows), so the pointer goes through the piece to it. */
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
  g_signal_connect (self, "notify::has-focus", G_CALLBACK (on_focus_changed), NULL);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_SELECTED, FALSE, -1);
}

GtkWidget *
ave_timeline_piece_new (void)
{
  return g_object_new (AVE_TYPE_TIMELINE_PIECE, NULL);
}

void
ave_timeline_piece_set (AveTimelinePiece     *self,
                        AveTimelinePieceKind  kind,
                        guint                 index,
                        const char           *label,
                        gboolean              selected)
{
  g_return_if_fail (AVE_IS_TIMELINE_PIECE (self));

  if (self->kind != kind || self->label == NULL)
    /* How to act on it, read after the name. */
    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    kind == AVE_TIMELINE_PIECE_SEGMENT
                                    ? "Delete cuts it, R restores it, brackets trim its start, "
                                      "braces its end, by a frame; Control with an arrow moves it"
                                    : "Delete removes it; Control with an arrow moves it",
                                    -1);
  self->kind = kind;
  self->index = index;
  if (g_strcmp0 (self->label, label) != 0)
    {
      g_free (self->label);
      self->label = g_strdup (label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
    }
  if (self->selected != selected)
    {
      self->selected = selected;
      gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_SELECTED, selected, -1);
    }
}

AveTimelinePieceKind
ave_timeline_piece_get_kind (AveTimelinePiece *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE_PIECE (self), AVE_TIMELINE_PIECE_SEGMENT);

  return self->kind;
}

guint
ave_timeline_piece_get_index (AveTimelinePiece *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE_PIECE (self), 0);

  return self->index;
}

const char *
ave_timeline_piece_get_label (AveTimelinePiece *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE_PIECE (self), NULL);

  return self->label;
}
