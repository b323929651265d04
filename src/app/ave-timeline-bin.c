#define G_LOG_DOMAIN "ave-timeline-bin"

#include "config.h"

#include "assets/ave-cards.h"
#include "ave-timeline-bin.h"

/* A lower third the user fills in after dropping it. */
#define LOWER_THIRD_DURATION 4.0

struct _AveTimelineBin
{
  GtkWidget    parent_instance;

  AveTimeline *timeline;   /* weak: the bin lives beside it */
  GPtrArray   *cards;      /* AveCard* */
  GtkWidget   *box;
};

G_DEFINE_FINAL_TYPE (AveTimelineBin, ave_timeline_bin, GTK_TYPE_WIDGET)

static GdkContentProvider *
drag_prepare (GtkDragSource *source,
              double         x,
              double         y,
              AveCard       *card)
{
  return gdk_content_provider_new_typed (AVE_TYPE_CARD, card);
}

static void
drag_begin (GtkDragSource *source,
            GdkDrag       *drag,
            GtkWidget     *button)
{
  g_autoptr(GdkPaintable) icon = gtk_widget_paintable_new (button);

  gtk_drag_source_set_icon (source, icon, 0, 0);
}

static void
card_clicked (GtkButton *button,
              AveCard   *card)
{
  AveTimelineBin *self = AVE_TIMELINE_BIN (gtk_widget_get_ancestor (GTK_WIDGET (button),
                                                                    AVE_TYPE_TIMELINE_BIN));

  if (self->timeline != NULL)
    ave_timeline_insert_card (self->timeline, card);
}

static char *
card_label (const AveCard *card)
{
  const char *text = card->title != NULL ? card->title : "Picture";

  if (card->kind == AVE_CARD_OVERLAY)
    return g_strdup_printf ("Lower third: %s", text);
  return g_strdup_printf ("%s (%.0f s)", text, card->duration);
}

static void
refill (AveTimelineBin *self)
{
  GtkWidget *child;
  AvePlanHistory *history = self->timeline != NULL ? ave_timeline_get_history (self->timeline) : NULL;

  while ((child = gtk_widget_get_first_child (self->box)) != NULL)
    gtk_box_remove (GTK_BOX (self->box), child);
  g_ptr_array_set_size (self->cards, 0);

  if (history != NULL)
    {
      g_autoptr(GPtrArray) suggested = ave_cards_default_bin (ave_timeline_get_analysis (self->timeline),
                                                              ave_plan_history_get_plan (history));

      for (guint i = 0; i < suggested->len; i++)
        g_ptr_array_add (self->cards, ave_card_copy (g_ptr_array_index (suggested, i)));
      g_ptr_array_add (self->cards, ave_card_new_overlay ("Name", "Title", 0.0, LOWER_THIRD_DURATION));
    }

  for (guint i = 0; i < self->cards->len; i++)
    {
      AveCard *card = g_ptr_array_index (self->cards, i);
      g_autofree char *label = card_label (card);
      GtkWidget *button = gtk_button_new_with_label (label);
      GtkDragSource *source = gtk_drag_source_new ();

      gtk_widget_set_tooltip_text (button, card->kind == AVE_CARD_TITLE
                                   ? "Drag onto the timeline, or click to add it at the playhead"
                                   : "Drag over the picture's time, or click to add it at the playhead");
      gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
      g_signal_connect (source, "prepare", G_CALLBACK (drag_prepare), card);
      g_signal_connect (source, "drag-begin", G_CALLBACK (drag_begin), button);
      gtk_widget_add_controller (button, GTK_EVENT_CONTROLLER (source));
      g_signal_connect (button, "clicked", G_CALLBACK (card_clicked), card);
      gtk_box_append (GTK_BOX (self->box), button);
    }
}

static void
on_history (AveTimeline    *timeline,
            GParamSpec     *pspec,
            AveTimelineBin *self)
{
  refill (self);
}

static void
ave_timeline_bin_dispose (GObject *object)
{
  AveTimelineBin *self = AVE_TIMELINE_BIN (object);

  if (self->timeline != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->timeline, self);
      g_object_remove_weak_pointer (G_OBJECT (self->timeline), (gpointer *) &self->timeline);
      self->timeline = NULL;
    }
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_pointer (&self->cards, g_ptr_array_unref);

  G_OBJECT_CLASS (ave_timeline_bin_parent_class)->dispose (object);
}

static void
ave_timeline_bin_class_init (AveTimelineBinClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ave_timeline_bin_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "timelinebin");
}

static void
ave_timeline_bin_init (AveTimelineBin *self)
{
  self->cards = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_card_free);
  self->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
}

GtkWidget *
ave_timeline_bin_new (AveTimeline *timeline)
{
  AveTimelineBin *self;

  g_return_val_if_fail (AVE_IS_TIMELINE (timeline), NULL);

  self = g_object_new (AVE_TYPE_TIMELINE_BIN, NULL);
  self->timeline = timeline;
  g_object_add_weak_pointer (G_OBJECT (timeline), (gpointer *) &self->timeline);
  g_signal_connect (timeline, "notify::history", G_CALLBACK (on_history), self);
  refill (self);
  return GTK_WIDGET (self);
}

guint
ave_timeline_bin_get_n_cards (AveTimelineBin *self)
{
  g_return_val_if_fail (AVE_IS_TIMELINE_BIN (self), 0);

  return self->cards->len;
}

const AveCard *
ave_timeline_bin_get_card (AveTimelineBin *self,
                           guint           index)
{
  g_return_val_if_fail (AVE_IS_TIMELINE_BIN (self), NULL);
  g_return_val_if_fail (index < self->cards->len, NULL);

  return g_ptr_array_index (self->cards, index);
}
