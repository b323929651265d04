#define G_LOG_DOMAIN "ave-transcript-view"

#include "config.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "core/ave-settings.h"
#include "director/ave-plan-words.h"
#include "ave-transcript-view.h"

/* Words further apart than this in the source (or said in another order)
 * start a new paragraph: the text breaks where the talk pauses. */
#define PARAGRAPH_PAUSE 1.5
/* A press and release this close together (pixels) is a click, not a
 * selection drag. */
#define CLICK_SLOP 4.0

typedef struct
{
  AvePlanWord word;
  int         start, end;   /* character offsets in the buffer */
  gboolean    filler;
  gboolean    retake;
} Entry;

struct _AveTranscriptView
{
  GtkWidget       parent_instance;

  GtkWidget      *search_bar;
  GtkWidget      *search_entry;
  GtkWidget      *match_label;
  GtkWidget      *scroller;
  GtkWidget      *text_view;
  GtkTextBuffer  *buffer;
  GtkTextMark    *playing_mark;
  GtkTextTag     *tag_cut;
  GtkTextTag     *tag_filler;
  GtkTextTag     *tag_retake;
  GtkTextTag     *tag_playing;
  GtkTextTag     *tag_match;
  GtkTextTag     *tag_current_match;

  AvePlanHistory *history;
  AvePlan        *plan;
  AveAnalysis    *analysis;
  gulong          plan_changed_id;
  guint           rebuild_id;
  GArray         *entries;         /* Entry, in buffer order */
  double          padding;

  int             cursor_word;     /* word to put the cursor on after the next rebuild, -1 */
  double          playhead;
  int             playing;         /* entry index, -1 */

  GArray         *matches;         /* int pairs: start, end offsets */
  int             current_match;

  gboolean        pressed;
  double          press_x, press_y;

  gulong          dark_id, contrast_id;
  guint           colors_id;
};

G_DEFINE_FINAL_TYPE (AveTranscriptView, ave_transcript_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_HISTORY,
  PROP_WORD_PADDING,
  PROP_PLAYING_WORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SEEK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void rebuild (AveTranscriptView *self);
static void update_actions (AveTranscriptView *self);
static void update_matches (AveTranscriptView *self, gboolean select);
static void update_playing (AveTranscriptView *self, gboolean scroll);

/* ------------------------------------------------------------- colours */

/* The tags' colours come from the theme (the text colour and libadwaita's
 * named colours), so cut words stay dimmed, not invisible, in dark and
 * light styles and in high contrast. */
static void
update_colors (AveTranscriptView *self)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *context = gtk_widget_get_style_context (self->text_view);
  GdkRGBA fg, accent, warning, error;

  gtk_style_context_get_color (context, &fg);
  if (!gtk_style_context_lookup_color (context, "accent_color", &accent))
    gdk_rgba_parse (&accent, "#3584e4");
  if (!gtk_style_context_lookup_color (context, "warning_color", &warning))
    gdk_rgba_parse (&warning, "#c64600");
  if (!gtk_style_context_lookup_color (context, "error_color", &error))
    gdk_rgba_parse (&error, "#c01c28");
  G_GNUC_END_IGNORE_DEPRECATIONS

  fg.alpha *= 0.5;
  g_object_set (self->tag_cut, "foreground-rgba", &fg, NULL);
  /* A tint behind the word (the underline alone is not drawn by every
   * GTK 4.8 renderer), which stays visible under a cut word's dimming. */
  g_object_set (self->tag_filler, "underline-rgba", &warning, NULL);
  g_object_set (self->tag_retake, "underline-rgba", &error, NULL);
  warning.alpha = 0.2;
  g_object_set (self->tag_filler, "background-rgba", &warning, NULL);
  error.alpha = 0.2;
  g_object_set (self->tag_retake, "background-rgba", &error, NULL);
  accent.alpha = 0.3;
  g_object_set (self->tag_playing, "background-rgba", &accent, NULL);
  warning.alpha = 0.25;
  g_object_set (self->tag_match, "background-rgba", &warning, NULL);
  warning.alpha = 0.55;
  g_object_set (self->tag_current_match, "background-rgba", &warning, NULL);
}

static gboolean
update_colors_idle (gpointer data)
{
  AveTranscriptView *self = data;

  self->colors_id = 0;
  update_colors (self);
  return G_SOURCE_REMOVE;
}

/* The style sheet changes after the notification: read it once applied. */
static void
on_style_changed (GObject           *manager,
                  GParamSpec        *pspec,
                  AveTranscriptView *self)
{
  if (self->colors_id == 0)
    self->colors_id = g_idle_add (update_colors_idle, self);
}

/* ------------------------------------------------------------- entries */

static const Entry *
entry_at (AveTranscriptView *self,
          int                index)
{
  if (self->entries == NULL || index < 0 || (guint) index >= self->entries->len)
    return NULL;
  return &g_array_index (self->entries, Entry, index);
}

static int
entry_of_word (AveTranscriptView *self,
               guint              word)
{
  for (guint i = 0; self->entries != NULL && i < self->entries->len; i++)
    if (g_array_index (self->entries, Entry, i).word.word == word)
      return (int) i;
  return -1;
}

/* The entry at a character offset: the word holding it (its end counts
 * as in it), else the next word (`before`: the previous word); -1 for
 * none. */
static int
entry_at_offset (AveTranscriptView *self,
                 int                offset,
                 gboolean           before)
{
  guint low = 0, high;

  if (self->entries == NULL || self->entries->len == 0)
    return -1;
  /* first entry ending at or after the offset */
  high = self->entries->len;
  while (low < high)
    {
      guint mid = low + (high - low) / 2;

      if (g_array_index (self->entries, Entry, mid).end < offset)
        low = mid + 1;
      else
        high = mid;
    }
  if (low < self->entries->len && g_array_index (self->entries, Entry, low).start <= offset)
    {
      /* Backspace at a word's start means the word before it */
      if (before && g_array_index (self->entries, Entry, low).start == offset && low > 0)
        return (int) low - 1;
      return (int) low;
    }
  if (before)
    return (int) low - 1;
  return low < self->entries->len ? (int) low : -1;
}

/* The entries the selection touches, [*first, *last]; with no selection
 * FALSE and both -1. */
static gboolean
selected_entries (AveTranscriptView *self,
                  int               *first,
                  int               *last)
{
  GtkTextIter start, end;
  int a, b;

  *first = *last = -1;
  if (self->entries == NULL ||
      !gtk_text_buffer_get_selection_bounds (self->buffer, &start, &end))
    return FALSE;
  a = gtk_text_iter_get_offset (&start);
  b = gtk_text_iter_get_offset (&end);
  for (guint i = 0; i < self->entries->len; i++)
    {
      const Entry *entry = &g_array_index (self->entries, Entry, i);

      if (entry->end > a && entry->start < b)
        {
          if (*first < 0)
            *first = (int) i;
          *last = (int) i;
        }
    }
  return *first >= 0;
}

static int
cursor_offset (AveTranscriptView *self)
{
  GtkTextIter iter;

  gtk_text_buffer_get_iter_at_mark (self->buffer, &iter, gtk_text_buffer_get_insert (self->buffer));
  return gtk_text_iter_get_offset (&iter);
}

/* ------------------------------------------------------------- building */

static gboolean
is_retake (AveTranscriptView *self,
           const AveWord     *word,
           const AvePlanWord *entry)
{
  double middle = (word->start + word->end) / 2.0;

  if (entry->segment >= 0)
    {
      const AveSegment *segment = ave_plan_get_segment (self->plan, (guint) entry->segment);

      if (!segment->enabled && segment->reason != NULL && g_str_has_prefix (segment->reason, "retake"))
        return TRUE;
    }
  for (guint i = 0; self->analysis->repeats != NULL && i < self->analysis->repeats->len; i++)
    {
      const AveRepeat *repeat = &g_array_index (self->analysis->repeats, AveRepeat, i);

      if (middle >= repeat->start && middle < repeat->end)
        return TRUE;
    }
  return FALSE;
}

static void
apply_tag_range (AveTranscriptView *self,
                 GtkTextTag        *tag,
                 int                start,
                 int                end)
{
  GtkTextIter a, b;

  gtk_text_buffer_get_iter_at_offset (self->buffer, &a, start);
  gtk_text_buffer_get_iter_at_offset (self->buffer, &b, end);
  gtk_text_buffer_apply_tag (self->buffer, tag, &a, &b);
}

static void
update_description (AveTranscriptView *self)
{
  guint n_cut = 0;
  g_autofree char *description = NULL;

  for (guint i = 0; self->entries != NULL && i < self->entries->len; i++)
    if (!g_array_index (self->entries, Entry, i).word.kept)
      n_cut++;
  description = g_strdup_printf ("%u words, %u of them cut (struck through). Delete cuts the "
                                 "selected words, R restores them, Return plays from the cursor.",
                                 self->entries != NULL ? self->entries->len : 0, n_cut);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
}

static void
rebuild (AveTranscriptView *self)
{
  g_autoptr(GArray) words = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  int restore_word = self->cursor_word;
  int offset = 0;

  g_clear_handle_id (&self->rebuild_id, g_source_remove);

  /* Keep the cursor on its word across the rebuild. */
  if (restore_word < 0)
    {
      const Entry *entry = entry_at (self, entry_at_offset (self, cursor_offset (self), FALSE));

      restore_word = entry != NULL ? (int) entry->word.word : -1;
    }
  self->cursor_word = -1;

  g_clear_pointer (&self->entries, g_array_unref);
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  if (self->plan != NULL && self->analysis != NULL)
    words = ave_plan_list_words (self->plan, self->analysis);

  for (guint i = 0; words != NULL && i < words->len; i++)
    {
      const AvePlanWord *item = &g_array_index (words, AvePlanWord, i);
      const AveWord *word = &g_array_index (self->analysis->words, AveWord, item->word);
      Entry entry = { *item, 0, 0, word->filler, FALSE };

      if (i > 0)
        {
          const AvePlanWord *previous = &g_array_index (words, AvePlanWord, i - 1);
          const AveWord *before = &g_array_index (self->analysis->words, AveWord, previous->word);
          gboolean paragraph = item->word < previous->word ||
                               word->start - before->end >= PARAGRAPH_PAUSE;
          const char *separator = paragraph ? "\n\n" : " ";

          g_string_append (text, separator);
          offset += (int) strlen (separator);
        }
      entry.retake = is_retake (self, word, item);
      entry.start = offset;
      g_string_append (text, word->word);
      offset += (int) g_utf8_strlen (word->word, -1);
      entry.end = offset;
      g_array_append_val (self->entries, entry);
    }

  gtk_text_buffer_set_text (self->buffer, text->str, (int) text->len);
  for (guint i = 0; i < self->entries->len; i++)
    {
      const Entry *entry = &g_array_index (self->entries, Entry, i);

      if (!entry->word.kept)
        apply_tag_range (self, self->tag_cut, entry->start, entry->end);
      if (entry->filler)
        apply_tag_range (self, self->tag_filler, entry->start, entry->end);
      if (entry->retake)
        apply_tag_range (self, self->tag_retake, entry->start, entry->end);
    }

  if (restore_word >= 0)
    {
      const Entry *entry = entry_at (self, entry_of_word (self, (guint) restore_word));
      GtkTextIter iter;

      if (entry != NULL)
        gtk_text_buffer_get_iter_at_offset (self->buffer, &iter, entry->start);
      else
        gtk_text_buffer_get_end_iter (self->buffer, &iter);
      gtk_text_buffer_place_cursor (self->buffer, &iter);
      gtk_text_view_scroll_mark_onscreen (GTK_TEXT_VIEW (self->text_view),
                                          gtk_text_buffer_get_insert (self->buffer));
    }

  self->playing = -1;
  update_playing (self, FALSE);
  update_matches (self, FALSE);
  update_description (self);
  update_actions (self);
}

static gboolean
rebuild_idle (gpointer data)
{
  AveTranscriptView *self = data;

  self->rebuild_id = 0;
  rebuild (self);
  return G_SOURCE_REMOVE;
}

/* An edit changes the plan many times (a history step puts a whole plan
 * back): rebuild once, before the next frame is drawn. */
static void
on_plan_changed (AvePlan           *plan,
                 AveTranscriptView *self)
{
  if (self->rebuild_id == 0)
    self->rebuild_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, rebuild_idle, self, NULL);
}

/* ------------------------------------------------------------- editing */

typedef struct
{
  AveTranscriptView *self;
  GArray            *words;     /* guint, sorted word indexes */
  gboolean           restore;
} WordsEdit;

/* Runs of consecutive word indexes each go to the engine as one range:
 * words selected across a reordered join are not neighbours in the
 * source. */
static gboolean
run_words_edit (AvePlan  *plan,
                gpointer  user_data)
{
  WordsEdit *edit = user_data;
  GArray *words = edit->words;
  const AveAnalysis *analysis = edit->self->analysis;
  double padding = edit->self->padding;
  gboolean changed = FALSE;

  for (guint i = 0; i < words->len;)
    {
      guint first = g_array_index (words, guint, i), last = first;

      for (i++; i < words->len && g_array_index (words, guint, i) == last + 1; i++)
        last++;
      if (edit->restore)
        changed |= ave_plan_restore_words (plan, analysis, first, last, padding);
      else
        changed |= ave_plan_cut_words (plan, analysis, first, last, padding);
    }
  return changed;
}

static int
compare_uint (gconstpointer a,
              gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/* Cuts (or restores) entries first..last as one undo step. */
static gboolean
edit_entries (AveTranscriptView *self,
              int                first,
              int                last,
              gboolean           restore)
{
  g_autoptr(GArray) words = g_array_new (FALSE, FALSE, sizeof (guint));
  WordsEdit edit = { self, words, restore };
  const char *label;

  if (self->history == NULL || self->analysis == NULL || first < 0 || last < first)
    return FALSE;
  for (int i = first; i <= last; i++)
    g_array_append_val (words, entry_at (self, i)->word.word);
  g_array_sort (words, compare_uint);
  if (restore)
    label = words->len > 1 ? "Restore words" : "Restore word";
  else
    label = words->len > 1 ? "Cut words" : "Cut word";
  return ave_plan_history_apply (self->history, label, run_words_edit, &edit);
}

static gboolean
any_kept (AveTranscriptView *self,
          int                first,
          int                last)
{
  for (int i = first; i >= 0 && i <= last; i++)
    if (entry_at (self, i)->word.kept)
      return TRUE;
  return FALSE;
}

static gboolean
any_cut (AveTranscriptView *self,
         int                first,
         int                last)
{
  for (int i = first; i >= 0 && i <= last; i++)
    if (!entry_at (self, i)->word.kept)
      return TRUE;
  return FALSE;
}

/* After an edit the cursor goes to the start of the word after the range
 * (the end of the text after the last word). */
static void
set_cursor_after (AveTranscriptView *self,
                  int                last)
{
  const Entry *next = entry_at (self, last + 1);

  self->cursor_word = next != NULL ? (int) next->word.word : G_MAXINT;
}

/* Delete and Backspace.  `backward`: the word before the cursor. */
static void
delete_words (AveTranscriptView *self,
              gboolean           backward)
{
  int first, last;

  if (selected_entries (self, &first, &last))
    {
      gboolean restore = !any_kept (self, first, last);

      set_cursor_after (self, last);
      if (!edit_entries (self, first, last, restore))
        self->cursor_word = -1;
      return;
    }

  first = entry_at_offset (self, cursor_offset (self), backward);
  if (first < 0)
    return;
  /* A word already cut is stepped over, as an editor steps over text
   * that is gone; selecting it and pressing Delete restores it. */
  if (entry_at (self, first)->word.kept)
    edit_entries (self, first, first, FALSE);
  if (backward)
    self->cursor_word = (int) entry_at (self, first)->word.word;
  else
    set_cursor_after (self, first);
  /* Nothing changed: move the cursor now rather than at a rebuild. */
  if (self->rebuild_id == 0)
    rebuild (self);
}

static void
action_delete (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  delete_words (AVE_TRANSCRIPT_VIEW (widget), FALSE);
}

static void
action_backspace (GtkWidget  *widget,
                  const char *name,
                  GVariant   *parameter)
{
  delete_words (AVE_TRANSCRIPT_VIEW (widget), TRUE);
}

static gboolean
target_entries (AveTranscriptView *self,
                int               *first,
                int               *last)
{
  if (selected_entries (self, first, last))
    return TRUE;
  *first = *last = entry_at_offset (self, cursor_offset (self), FALSE);
  return *first >= 0;
}

static void
action_cut (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (widget);
  int first, last;

  if (target_entries (self, &first, &last) && any_kept (self, first, last))
    {
      set_cursor_after (self, last);
      if (!edit_entries (self, first, last, FALSE))
        self->cursor_word = -1;
    }
}

static void
action_restore (GtkWidget  *widget,
                const char *name,
                GVariant   *parameter)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (widget);
  int first, last;

  if (target_entries (self, &first, &last) && any_cut (self, first, last))
    {
      set_cursor_after (self, last);
      if (!edit_entries (self, first, last, TRUE))
        self->cursor_word = -1;
    }
}

static void
action_undo (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (widget);

  if (self->history != NULL)
    ave_plan_history_undo (self->history);
}

static void
action_redo (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (widget);

  if (self->history != NULL)
    ave_plan_history_redo (self->history);
}

static void
emit_seek (AveTranscriptView *self,
           int                index)
{
  const Entry *entry = entry_at (self, index);
  const AveWord *word;

  if (entry == NULL)
    return;
  word = &g_array_index (self->analysis->words, AveWord, entry->word.word);
  g_signal_emit (self, signals[SEEK], 0, word->start, entry->word.output_time);
}

static void
action_seek (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (widget);

  emit_seek (self, entry_at_offset (self, cursor_offset (self), FALSE));
}

static void
update_actions (AveTranscriptView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean editable = self->history != NULL && self->entries != NULL && self->entries->len > 0;
  int first = -1, last = -1;

  if (editable)
    target_entries (self, &first, &last);
  gtk_widget_action_set_enabled (widget, "transcript.cut", editable && any_kept (self, first, last));
  gtk_widget_action_set_enabled (widget, "transcript.restore", editable && any_cut (self, first, last));
  gtk_widget_action_set_enabled (widget, "transcript.delete", editable);
  gtk_widget_action_set_enabled (widget, "transcript.backspace", editable);
  gtk_widget_action_set_enabled (widget, "transcript.seek", first >= 0);
  gtk_widget_action_set_enabled (widget, "transcript.undo",
                                 self->history != NULL && ave_plan_history_get_can_undo (self->history));
  gtk_widget_action_set_enabled (widget, "transcript.redo",
                                 self->history != NULL && ave_plan_history_get_can_redo (self->history));
}

static void
on_history_notify (AvePlanHistory    *history,
                   GParamSpec        *pspec,
                   AveTranscriptView *self)
{
  update_actions (self);
}

static void
on_mark_set (GtkTextBuffer     *buffer,
             GtkTextIter       *location,
             GtkTextMark       *mark,
             AveTranscriptView *self)
{
  if (mark == gtk_text_buffer_get_insert (buffer) || mark == gtk_text_buffer_get_selection_bound (buffer))
    update_actions (self);
}

/* ------------------------------------------------------------- playhead */

static void
update_playing (AveTranscriptView *self,
                gboolean           scroll)
{
  GtkTextIter start, end;
  int word = -1, index = -1;

  if (self->analysis != NULL && self->playhead >= 0.0)
    word = ave_words_at_source (self->analysis, self->playhead);
  if (word >= 0)
    index = entry_of_word (self, (guint) word);
  if (index == self->playing)
    return;

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  gtk_text_buffer_remove_tag (self->buffer, self->tag_playing, &start, &end);
  self->playing = index;
  if (index >= 0)
    {
      const Entry *entry = entry_at (self, index);

      apply_tag_range (self, self->tag_playing, entry->start, entry->end);
      gtk_text_buffer_get_iter_at_offset (self->buffer, &start, entry->start);
      gtk_text_buffer_move_mark (self->buffer, self->playing_mark, &start);
      /* a fifth of the view from its edges: the words coming next show */
      if (scroll)
        gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (self->text_view), self->playing_mark,
                                      0.2, FALSE, 0.0, 0.0);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYING_WORD]);
}

void
ave_transcript_view_set_playhead (AveTranscriptView *self,
                                  double             source_time)
{
  g_return_if_fail (AVE_IS_TRANSCRIPT_VIEW (self));

  self->playhead = source_time;
  update_playing (self, TRUE);
}

int
ave_transcript_view_get_playing_word (AveTranscriptView *self)
{
  const Entry *entry;

  g_return_val_if_fail (AVE_IS_TRANSCRIPT_VIEW (self), -1);

  entry = entry_at (self, self->playing);
  return entry != NULL ? (int) entry->word.word : -1;
}

/* ------------------------------------------------------------- search */

/* `select`: select the match too (and scroll to it), so that Escape then
 * Delete cuts what was found. */
static void
show_current_match (AveTranscriptView *self,
                    gboolean           select)
{
  GtkTextIter start, end;
  g_autofree char *label = NULL;

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  gtk_text_buffer_remove_tag (self->buffer, self->tag_current_match, &start, &end);
  if (self->matches->len == 0)
    {
      const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

      gtk_label_set_text (GTK_LABEL (self->match_label), *text != '\0' ? "No matches" : "");
      return;
    }

  self->current_match = CLAMP (self->current_match, 0, (int) self->matches->len / 2 - 1);
  gtk_text_buffer_get_iter_at_offset (self->buffer, &start,
                                      g_array_index (self->matches, int, 2 * self->current_match));
  gtk_text_buffer_get_iter_at_offset (self->buffer, &end,
                                      g_array_index (self->matches, int, 2 * self->current_match + 1));
  gtk_text_buffer_apply_tag (self->buffer, self->tag_current_match, &start, &end);
  if (select)
    {
      gtk_text_buffer_select_range (self->buffer, &start, &end);
      gtk_text_view_scroll_mark_onscreen (GTK_TEXT_VIEW (self->text_view),
                                          gtk_text_buffer_get_insert (self->buffer));
    }
  label = g_strdup_printf ("%d of %u", self->current_match + 1, self->matches->len / 2);
  gtk_label_set_text (GTK_LABEL (self->match_label), label);
}

/* Finds every match of the search text (case-insensitive) and highlights
 * them; the current one is the first at or after the cursor. */
static void
update_matches (AveTranscriptView *self,
                gboolean           select)
{
  const char *needle = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  GtkTextIter iter, start, end;
  int cursor = cursor_offset (self);

  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  gtk_text_buffer_remove_tag (self->buffer, self->tag_match, &start, &end);
  gtk_text_buffer_remove_tag (self->buffer, self->tag_current_match, &start, &end);
  g_array_set_size (self->matches, 0);
  if (!gtk_search_bar_get_search_mode (GTK_SEARCH_BAR (self->search_bar)) || *needle == '\0')
    {
      gtk_label_set_text (GTK_LABEL (self->match_label), "");
      return;
    }

  self->current_match = -1;
  gtk_text_buffer_get_start_iter (self->buffer, &iter);
  while (gtk_text_iter_forward_search (&iter, needle, GTK_TEXT_SEARCH_CASE_INSENSITIVE |
                                       GTK_TEXT_SEARCH_TEXT_ONLY, &start, &end, NULL))
    {
      int a = gtk_text_iter_get_offset (&start), b = gtk_text_iter_get_offset (&end);

      gtk_text_buffer_apply_tag (self->buffer, self->tag_match, &start, &end);
      g_array_append_val (self->matches, a);
      g_array_append_val (self->matches, b);
      if (self->current_match < 0 && b > cursor)
        self->current_match = (int) self->matches->len / 2 - 1;
      iter = end;
    }
  if (self->current_match < 0)
    self->current_match = 0;
  show_current_match (self, select);
}

static void
move_match (AveTranscriptView *self,
            int                delta)
{
  int n = (int) self->matches->len / 2;

  if (n == 0)
    return;
  self->current_match = ((self->current_match + delta) % n + n) % n;
  show_current_match (self, TRUE);
}

static void
on_search_changed (GtkSearchEntry    *entry,
                   AveTranscriptView *self)
{
  update_matches (self, TRUE);
}

static void
on_next_match (GtkWidget         *entry,
               AveTranscriptView *self)
{
  move_match (self, 1);
}

static void
on_previous_match (GtkWidget         *entry,
                   AveTranscriptView *self)
{
  move_match (self, -1);
}

static void
on_stop_search (GtkSearchEntry    *entry,
                AveTranscriptView *self)
{
  gtk_search_bar_set_search_mode (GTK_SEARCH_BAR (self->search_bar), FALSE);
  gtk_widget_grab_focus (self->text_view);
}

static void
on_search_mode (GtkSearchBar      *bar,
                GParamSpec        *pspec,
                AveTranscriptView *self)
{
  if (gtk_search_bar_get_search_mode (bar))
    update_matches (self, TRUE);
  else
    {
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (self->buffer, &start, &end);
      gtk_text_buffer_remove_tag (self->buffer, self->tag_match, &start, &end);
      gtk_text_buffer_remove_tag (self->buffer, self->tag_current_match, &start, &end);
      g_array_set_size (self->matches, 0);
    }
}

static void
action_find (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (widget);

  gtk_search_bar_set_search_mode (GTK_SEARCH_BAR (self->search_bar), TRUE);
  gtk_widget_grab_focus (self->search_entry);
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

static void
action_find_next (GtkWidget  *widget,
                  const char *name,
                  GVariant   *parameter)
{
  move_match (AVE_TRANSCRIPT_VIEW (widget), 1);
}

static void
action_find_previous (GtkWidget  *widget,
                      const char *name,
                      GVariant   *parameter)
{
  move_match (AVE_TRANSCRIPT_VIEW (widget), -1);
}

/* ------------------------------------------------------------- pointer */

static int
entry_at_widget_point (AveTranscriptView *self,
                       double             x,
                       double             y)
{
  GtkTextView *view = GTK_TEXT_VIEW (self->text_view);
  GtkTextIter iter;
  GdkRectangle rect;
  int bx, by, offset, index;

  gtk_text_view_window_to_buffer_coords (view, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y, &bx, &by);
  if (!gtk_text_view_get_iter_at_location (view, &iter, bx, by))
    return -1;
  /* Past the end of a line is no word. */
  gtk_text_view_get_iter_location (view, &iter, &rect);
  if (by < rect.y || by >= rect.y + rect.height)
    return -1;
  offset = gtk_text_iter_get_offset (&iter);
  index = entry_at_offset (self, offset, FALSE);
  if (index < 0 || offset < entry_at (self, index)->start || offset >= entry_at (self, index)->end)
    return -1;
  return index;
}

/* The text view's own click gesture claims presses (to place the cursor
 * and select), so clicks are watched before it, without claiming. */
static gboolean
on_text_event (GtkEventControllerLegacy *controller,
               GdkEvent                 *event,
               AveTranscriptView        *self)
{
  GdkEventType type = gdk_event_get_event_type (event);
  GtkNative *native;
  double x, y, nx, ny, wx, wy;

  if ((type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE) ||
      gdk_button_event_get_button (event) != GDK_BUTTON_PRIMARY ||
      !gdk_event_get_position (event, &x, &y))
    return GDK_EVENT_PROPAGATE;

  native = gtk_widget_get_native (self->text_view);
  gtk_native_get_surface_transform (native, &nx, &ny);
  if (!gtk_widget_translate_coordinates (GTK_WIDGET (native), self->text_view,
                                         x - nx, y - ny, &wx, &wy))
    return GDK_EVENT_PROPAGATE;

  if (type == GDK_BUTTON_PRESS)
    {
      self->pressed = TRUE;
      self->press_x = wx;
      self->press_y = wy;
    }
  else if (self->pressed)
    {
      self->pressed = FALSE;
      if (fabs (wx - self->press_x) <= CLICK_SLOP && fabs (wy - self->press_y) <= CLICK_SLOP)
        emit_seek (self, entry_at_widget_point (self, wx, wy));
    }
  return GDK_EVENT_PROPAGATE;
}

static char *
format_time (double seconds)
{
  int minutes = (int) (seconds / 60.0);

  return g_strdup_printf ("%d:%04.1f", minutes, seconds - minutes * 60.0);
}

static gboolean
query_tooltip (GtkWidget         *widget,
               int                x,
               int                y,
               gboolean           keyboard_mode,
               GtkTooltip        *tooltip,
               AveTranscriptView *self)
{
  const Entry *entry;
  const AveWord *word;
  g_autoptr(GString) text = NULL;
  g_autofree char *source = NULL;

  if (keyboard_mode)
    entry = entry_at (self, entry_at_offset (self, cursor_offset (self), FALSE));
  else
    entry = entry_at (self, entry_at_widget_point (self, x, y));
  if (entry == NULL)
    return FALSE;

  word = &g_array_index (self->analysis->words, AveWord, entry->word.word);
  source = format_time (word->start);
  text = g_string_new (NULL);
  g_string_append_printf (text, "“%s” at %s in the recording", word->word, source);
  if (entry->filler)
    g_string_append (text, "\nFiller word");
  if (entry->retake)
    g_string_append (text, "\nEarlier take: said again later");
  if (entry->word.kept)
    {
      g_autofree char *output = format_time (entry->word.output_time);

      g_string_append_printf (text, "\nPlays at %s", output);
    }
  else
    {
      const AveSegment *segment = entry->word.segment >= 0
                                  ? ave_plan_get_segment (self->plan, (guint) entry->word.segment)
                                  : NULL;

      g_string_append (text, "\nCut");
      if (segment != NULL && segment->reason != NULL)
        g_string_append_printf (text, ": %s", segment->reason);
      g_string_append (text, " (select it and press Delete or R to restore)");
    }
  gtk_tooltip_set_text (tooltip, text->str);
  return TRUE;
}

/* ------------------------------------------------------------- model */

static void
clear_model (AveTranscriptView *self)
{
  if (self->plan != NULL)
    g_clear_signal_handler (&self->plan_changed_id, self->plan);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_func (self->history, on_history_notify, self);
  g_clear_object (&self->plan);
  g_clear_object (&self->history);
  g_clear_pointer (&self->analysis, ave_analysis_unref);
}

void
ave_transcript_view_set_model (AveTranscriptView *self,
                               AvePlanHistory    *history,
                               AveAnalysis       *analysis)
{
  g_return_if_fail (AVE_IS_TRANSCRIPT_VIEW (self));
  g_return_if_fail (history == NULL || AVE_IS_PLAN_HISTORY (history));

  if (history != NULL)
    g_object_ref (history);
  if (analysis != NULL)
    ave_analysis_ref (analysis);
  clear_model (self);
  self->history = history;
  self->analysis = analysis;
  if (history != NULL)
    {
      self->plan = g_object_ref (ave_plan_history_get_plan (history));
      self->plan_changed_id = g_signal_connect (self->plan, "changed",
                                                G_CALLBACK (on_plan_changed), self);
      g_signal_connect (history, "notify::can-undo", G_CALLBACK (on_history_notify), self);
      g_signal_connect (history, "notify::can-redo", G_CALLBACK (on_history_notify), self);
    }
  self->cursor_word = 0;
  rebuild (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
}

AvePlanHistory *
ave_transcript_view_get_history (AveTranscriptView *self)
{
  g_return_val_if_fail (AVE_IS_TRANSCRIPT_VIEW (self), NULL);

  return self->history;
}

void
ave_transcript_view_set_word_padding (AveTranscriptView *self,
                                      double             padding)
{
  g_return_if_fail (AVE_IS_TRANSCRIPT_VIEW (self));
  g_return_if_fail (isfinite (padding) && padding >= 0.0);

  if (self->padding == padding)
    return;
  self->padding = padding;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORD_PADDING]);
}

double
ave_transcript_view_get_word_padding (AveTranscriptView *self)
{
  g_return_val_if_fail (AVE_IS_TRANSCRIPT_VIEW (self), 0.0);

  return self->padding;
}

GtkTextView *
ave_transcript_view_get_text_view (AveTranscriptView *self)
{
  g_return_val_if_fail (AVE_IS_TRANSCRIPT_VIEW (self), NULL);

  return GTK_TEXT_VIEW (self->text_view);
}

/* ------------------------------------------------------------- object */

static void
ave_transcript_view_dispose (GObject *object)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (object);

  if (self->dark_id != 0)
    {
      AdwStyleManager *manager = adw_style_manager_get_default ();

      g_clear_signal_handler (&self->dark_id, manager);
      g_clear_signal_handler (&self->contrast_id, manager);
    }
  g_clear_handle_id (&self->colors_id, g_source_remove);
  g_clear_handle_id (&self->rebuild_id, g_source_remove);
  clear_model (self);
  if (self->buffer != NULL)
    g_signal_handlers_disconnect_by_data (self->buffer, self);
  self->buffer = NULL;
  g_clear_pointer (&self->search_bar, gtk_widget_unparent);
  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->matches, g_array_unref);

  G_OBJECT_CLASS (ave_transcript_view_parent_class)->dispose (object);
}

static void
ave_transcript_view_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;
    case PROP_WORD_PADDING:
      g_value_set_double (value, self->padding);
      break;
    case PROP_PLAYING_WORD:
      g_value_set_int (value, ave_transcript_view_get_playing_word (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_transcript_view_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  AveTranscriptView *self = AVE_TRANSCRIPT_VIEW (object);

  switch (prop_id)
    {
    case PROP_WORD_PADDING:
      ave_transcript_view_set_word_padding (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ave_transcript_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ave_transcript_view_parent_class)->map (widget);
  update_colors (AVE_TRANSCRIPT_VIEW (widget));
}

static void
ave_transcript_view_class_init (AveTranscriptViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ave_transcript_view_dispose;
  object_class->get_property = ave_transcript_view_get_property;
  object_class->set_property = ave_transcript_view_set_property;
  widget_class->map = ave_transcript_view_map;

  properties[PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL, AVE_TYPE_PLAN_HISTORY,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORD_PADDING] =
    g_param_spec_double ("word-padding", NULL, NULL, 0.0, 10.0, 0.15,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYING_WORD] =
    g_param_spec_int ("playing-word", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AveTranscriptView::seek:
   * @source_time: source seconds where the clicked word starts
   * @output_time: output seconds where it plays (for a cut word: where
   *   the cut is)
   */
  signals[SEEK] = g_signal_new ("seek", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  gtk_widget_class_install_action (widget_class, "transcript.cut", NULL, action_cut);
  gtk_widget_class_install_action (widget_class, "transcript.restore", NULL, action_restore);
  gtk_widget_class_install_action (widget_class, "transcript.delete", NULL, action_delete);
  gtk_widget_class_install_action (widget_class, "transcript.backspace", NULL, action_backspace);
  gtk_widget_class_install_action (widget_class, "transcript.find", NULL, action_find);
  gtk_widget_class_install_action (widget_class, "transcript.find-next", NULL, action_find_next);
  gtk_widget_class_install_action (widget_class, "transcript.find-previous", NULL, action_find_previous);
  gtk_widget_class_install_action (widget_class, "transcript.seek", NULL, action_seek);
  gtk_widget_class_install_action (widget_class, "transcript.undo", NULL, action_undo);
  gtk_widget_class_install_action (widget_class, "transcript.redo", NULL, action_redo);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "transcript.find", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "transcriptview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
add_shortcut (GtkEventController *controller,
              guint               key,
              GdkModifierType     modifiers,
              const char         *action)
{
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (key, modifiers),
                                                          gtk_named_action_new (action)));
}

static GMenuModel *
build_menu (void)
{
  GMenu *menu = g_menu_new ();

  g_menu_append (menu, "Cut Words", "transcript.cut");
  g_menu_append (menu, "Restore Words", "transcript.restore");
  g_menu_append (menu, "Play From Here", "transcript.seek");
  g_menu_append (menu, "Find…", "transcript.find");
  return G_MENU_MODEL (menu);
}

static void
load_css (void)
{
  static gsize loaded = 0;

  if (g_once_init_enter (&loaded))
    {
      GtkCssProvider *provider = gtk_css_provider_new ();

      /* The text view draws no focus ring of its own in a scrolled window:
       * the scroller shows where the keyboard is. */
      gtk_css_provider_load_from_data (provider,
                                       "transcriptview > scrolledwindow:focus-within {"
                                       "  outline: 2px solid alpha(@accent_color, 0.6);"
                                       "  outline-offset: -2px; }",
                                       -1);
      gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                  GTK_STYLE_PROVIDER (provider),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
      g_once_init_leave (&loaded, 1);
    }
}

static void
ave_transcript_view_init (AveTranscriptView *self)
{
  g_autoptr(AveSettings) defaults = ave_settings_new ();
  g_autoptr(GMenuModel) menu = build_menu ();
  GtkEventController *controller;
  GtkWidget *box, *previous, *next;
  GtkTextIter start;

  self->padding = defaults->word_padding;
  self->cursor_word = -1;
  self->playhead = -1.0;
  self->playing = -1;
  self->matches = g_array_new (FALSE, FALSE, sizeof (int));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  load_css ();

  /* search bar: entry, previous, next, "n of m" */
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->search_entry = gtk_search_entry_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search_entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, "Find in transcript", -1);
  gtk_widget_set_hexpand (self->search_entry, TRUE);
  gtk_box_append (GTK_BOX (box), self->search_entry);
  previous = gtk_button_new_from_icon_name ("go-up-symbolic");
  gtk_widget_set_tooltip_text (previous, "Previous Match (Shift+Return)");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (previous), "transcript.find-previous");
  gtk_box_append (GTK_BOX (box), previous);
  next = gtk_button_new_from_icon_name ("go-down-symbolic");
  gtk_widget_set_tooltip_text (next, "Next Match (Return)");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (next), "transcript.find-next");
  gtk_box_append (GTK_BOX (box), next);
  self->match_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->match_label, "dim-label");
  gtk_widget_add_css_class (self->match_label, "numeric");
  gtk_box_append (GTK_BOX (box), self->match_label);
  self->search_bar = gtk_search_bar_new ();
  gtk_search_bar_set_child (GTK_SEARCH_BAR (self->search_bar), box);
  gtk_search_bar_connect_entry (GTK_SEARCH_BAR (self->search_bar), GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_show_close_button (GTK_SEARCH_BAR (self->search_bar), TRUE);
  gtk_widget_set_parent (self->search_bar, GTK_WIDGET (self));
  g_signal_connect (self->search_bar, "notify::search-mode-enabled", G_CALLBACK (on_search_mode), self);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (on_next_match), self);
  g_signal_connect (self->search_entry, "next-match", G_CALLBACK (on_next_match), self);
  g_signal_connect (self->search_entry, "previous-match", G_CALLBACK (on_previous_match), self);
  g_signal_connect (self->search_entry, "stop-search", G_CALLBACK (on_stop_search), self);
  controller = gtk_shortcut_controller_new ();
  add_shortcut (controller, GDK_KEY_Return, GDK_SHIFT_MASK, "transcript.find-previous");
  add_shortcut (controller, GDK_KEY_KP_Enter, GDK_SHIFT_MASK, "transcript.find-previous");
  gtk_widget_add_controller (self->search_entry, controller);

  /* the text */
  self->buffer = gtk_text_buffer_new (NULL);
  self->tag_cut = gtk_text_buffer_create_tag (self->buffer, "cut", "strikethrough", TRUE, NULL);
  self->tag_filler = gtk_text_buffer_create_tag (self->buffer, "filler", "style", PANGO_STYLE_ITALIC,
                                                 "underline", PANGO_UNDERLINE_SINGLE, NULL);
  self->tag_retake = gtk_text_buffer_create_tag (self->buffer, "retake",
                                                 "underline", PANGO_UNDERLINE_DOUBLE, NULL);
  /* background only: the text must not reflow while it plays */
  self->tag_playing = gtk_text_buffer_create_tag (self->buffer, "playing", NULL);
  self->tag_match = gtk_text_buffer_create_tag (self->buffer, "match", NULL);
  self->tag_current_match = gtk_text_buffer_create_tag (self->buffer, "current-match", NULL);
  gtk_text_buffer_get_start_iter (self->buffer, &start);
  self->playing_mark = gtk_text_buffer_create_mark (self->buffer, "playing", &start, TRUE);
  g_signal_connect (self->buffer, "mark-set", G_CALLBACK (on_mark_set), self);

  self->text_view = gtk_text_view_new_with_buffer (self->buffer);
  g_object_unref (self->buffer);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (self->text_view), FALSE);
  /* The cursor stays visible: words are chosen with the keyboard too. */
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (self->text_view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (self->text_view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (self->text_view), 12);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (self->text_view), 12);
  /* Side margins only: GTK 4.8 maps widget to buffer coordinates wrongly
   * with a top or bottom margin or space between lines (clicks and tooltips
   * land a line off), so paragraphs are split by an empty line instead. */
  gtk_text_view_set_extra_menu (GTK_TEXT_VIEW (self->text_view), menu);
  gtk_widget_set_has_tooltip (self->text_view, TRUE);
  g_signal_connect (self->text_view, "query-tooltip", G_CALLBACK (query_tooltip), self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, "Transcript", -1);

  /* Before the text view's own bindings, which would take Delete. */
  controller = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  add_shortcut (controller, GDK_KEY_Delete, 0, "transcript.delete");
  add_shortcut (controller, GDK_KEY_KP_Delete, 0, "transcript.delete");
  add_shortcut (controller, GDK_KEY_BackSpace, 0, "transcript.backspace");
  add_shortcut (controller, GDK_KEY_r, 0, "transcript.restore");
  add_shortcut (controller, GDK_KEY_Return, 0, "transcript.seek");
  add_shortcut (controller, GDK_KEY_KP_Enter, 0, "transcript.seek");
  add_shortcut (controller, GDK_KEY_z, GDK_CONTROL_MASK, "transcript.undo");
  add_shortcut (controller, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "transcript.redo");
  add_shortcut (controller, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "transcript.redo");
  add_shortcut (controller, GDK_KEY_y, GDK_CONTROL_MASK, "transcript.redo");
  add_shortcut (controller, GDK_KEY_g, GDK_CONTROL_MASK, "transcript.find-next");
  add_shortcut (controller, GDK_KEY_g, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "transcript.find-previous");
  add_shortcut (controller, GDK_KEY_G, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "transcript.find-previous");
  gtk_widget_add_controller (self->text_view, controller);

  controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "event", G_CALLBACK (on_text_event), self);
  gtk_widget_add_controller (self->text_view, controller);

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->text_view);
  gtk_widget_set_vexpand (self->scroller, TRUE);
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));

  if (adw_is_initialized ())
    {
      AdwStyleManager *manager = adw_style_manager_get_default ();

      self->dark_id = g_signal_connect (manager, "notify::dark", G_CALLBACK (on_style_changed), self);
      self->contrast_id = g_signal_connect (manager, "notify::high-contrast",
                                            G_CALLBACK (on_style_changed), self);
    }
  update_colors (self);
  rebuild (self);
}

GtkWidget *
ave_transcript_view_new (void)
{
  return g_object_new (AVE_TYPE_TRANSCRIPT_VIEW, NULL);
}
