#define G_LOG_DOMAIN "ave-plan"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "core/ave-error.h"
#include "ave-plan.h"
#include "ave-plan-private.h"
#include "core/ave-json-read.h"

G_DEFINE_FINAL_TYPE (AvePlan, ave_plan, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const char * const _ave_plan_origin_names[] = {
  [AVE_SEGMENT_ORIGIN_LOCAL] = "local",
  [AVE_SEGMENT_ORIGIN_LLM] = "llm",
  [AVE_SEGMENT_ORIGIN_USER] = "user",
  [AVE_SEGMENT_ORIGIN_IMPORT] = "import",
};

const char *
ave_segment_origin_to_string (AveSegmentOrigin origin)
{
  g_return_val_if_fail ((guint) origin < G_N_ELEMENTS (_ave_plan_origin_names), NULL);
  return _ave_plan_origin_names[origin];
}

gboolean
ave_segment_origin_from_string (const char *text, AveSegmentOrigin *origin)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (_ave_plan_origin_names); i++)
    if (g_str_equal (text, _ave_plan_origin_names[i]))
      {
        *origin = i;
        return TRUE;
      }
  return FALSE;
}

const char * const _ave_plan_transition_names[] = {
  [AVE_TRANSITION_CUT] = "cut",
  [AVE_TRANSITION_CROSSFADE] = "crossfade",
  [AVE_TRANSITION_FADE] = "fade",
};

const char * const _ave_plan_card_kind_names[] = {
  [AVE_CARD_TITLE] = "title",
  [AVE_CARD_OVERLAY] = "overlay",
};

const char * const _ave_plan_card_style_names[] = {
  [AVE_CARD_STYLE_DARK] = "dark",
  [AVE_CARD_STYLE_LIGHT] = "light",
  [AVE_CARD_STYLE_ACCENT] = "accent",
};

/* Text the editing calls store is cut to what plan.json may hold (and
 * made valid UTF-8, which JSON requires), so a saved plan loads again. */
static char *
dup_capped (const char *text,
            guint       max_chars)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  if ((gsize) g_utf8_strlen (valid, -1) <= max_chars)
    return g_steal_pointer (&valid);
  return g_utf8_substring (valid, 0, max_chars);
}

/* ------------------------------------------------------------- cards */

void
_ave_plan_clear_card (gpointer data)
{
  AveCard *card = data;

  g_clear_pointer (&card->title, g_free);
  g_clear_pointer (&card->subtitle, g_free);
  g_clear_pointer (&card->image_path, g_free);
}

/* A deep copy into `dest` (strings duplicated). */
static void
copy_card_into (AveCard       *dest,
                const AveCard *card)
{
  *dest = *card;
  dest->title = g_strdup (card->title);
  dest->subtitle = g_strdup (card->subtitle);
  dest->image_path = g_strdup (card->image_path);
}

AveCard *
ave_card_copy (const AveCard *card)
{
  AveCard *copy;

  g_return_val_if_fail (card != NULL, NULL);

  copy = g_new0 (AveCard, 1);
  copy_card_into (copy, card);
  return copy;
}

void
ave_card_free (AveCard *card)
{
  if (card == NULL)
    return;
  _ave_plan_clear_card (card);
  g_free (card);
}

G_DEFINE_BOXED_TYPE (AveCard, ave_card, ave_card_copy, ave_card_free)

static AveCard *
card_new (AveCardKind  kind,
          const char  *title,
          const char  *subtitle,
          double       duration)
{
  AveCard *card = g_new0 (AveCard, 1);

  card->kind = kind;
  card->title = g_strdup (title);
  card->subtitle = g_strdup (subtitle);
  card->style = AVE_CARD_STYLE_DARK;
  card->duration = duration;
  card->transition = AVE_TRANSITION_CUT;
  card->opacity = 1.0;
  return card;
}

AveCard *
ave_card_new_title (const char *title,
                    const char *subtitle,
                    guint       insert_before,
                    double      duration)
{
  AveCard *card = card_new (AVE_CARD_TITLE, title, subtitle, duration);

  card->insert_before = insert_before;
  /* A full-screen card covers the whole frame. */
  card->width = card->height = 1.0;
  return card;
}

AveCard *
ave_card_new_overlay (const char *title,
                      const char *subtitle,
                      double      output_time,
                      double      duration)
{
  AveCard *card = card_new (AVE_CARD_OVERLAY, title, subtitle, duration);

  card->output_time = output_time;
  card->x = LOWER_THIRD_X;
  card->y = LOWER_THIRD_Y;
  card->width = LOWER_THIRD_WIDTH;
  card->height = LOWER_THIRD_HEIGHT;
  return card;
}

/* ---------------------------------------------------------- the plan */

static void
clear_segment (gpointer data)
{
  AveSegment *segment = data;

  g_clear_pointer (&segment->reason, g_free);
}

static void
clear_chapter (gpointer data)
{
  AveChapter *chapter = data;

  g_clear_pointer (&chapter->title, g_free);
}

static void
ave_plan_finalize (GObject *object)
{
  AvePlan *self = AVE_PLAN (object);

  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->director, g_free);
  g_clear_pointer (&self->segments, g_array_unref);
  g_clear_pointer (&self->chapters, g_array_unref);
  g_clear_pointer (&self->cards, g_array_unref);
  g_clear_pointer (&self->meta_title, g_free);
  g_clear_pointer (&self->meta_description, g_free);
  g_clear_pointer (&self->meta_tags, g_strfreev);
  g_clear_pointer (&self->meta_thumbnail_text, g_free);

  G_OBJECT_CLASS (ave_plan_parent_class)->finalize (object);
}

static void
ave_plan_class_init (AvePlanClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ave_plan_finalize;

  /**
   * AvePlan::changed:
   *
   * Emitted after every successful edit, so the timeline and the preview
   * redraw from the model instead of tracking each operation.
   */
  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
ave_plan_init (AvePlan *self)
{
  self->segments = g_array_new (FALSE, TRUE, sizeof (AveSegment));
  g_array_set_clear_func (self->segments, clear_segment);
  self->chapters = g_array_new (FALSE, TRUE, sizeof (AveChapter));
  g_array_set_clear_func (self->chapters, clear_chapter);
  self->cards = g_array_new (FALSE, TRUE, sizeof (AveCard));
  g_array_set_clear_func (self->cards, _ave_plan_clear_card);
  self->meta_thumbnail_time = -1;
}

static void
emit_changed (AvePlan *self)
{
  if (self->freeze_count > 0)
    {
      self->changed_pending = TRUE;
      return;
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

void
ave_plan_freeze_changed (AvePlan *self)
{
  g_return_if_fail (AVE_IS_PLAN (self));

  self->freeze_count++;
}

void
ave_plan_thaw_changed (AvePlan *self)
{
  g_return_if_fail (AVE_IS_PLAN (self));
  g_return_if_fail (self->freeze_count > 0);

  if (--self->freeze_count == 0 && self->changed_pending)
    {
      self->changed_pending = FALSE;
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

AvePlan *
ave_plan_new (const char *source,
              double      source_duration)
{
  AvePlan *self = g_object_new (AVE_TYPE_PLAN, NULL);

  self->source = g_strdup (source);
  self->source_duration = isfinite (source_duration) ? MAX (0.0, source_duration) : 0.0;
  return self;
}

AvePlan *
ave_plan_copy (AvePlan *self)
{
  AvePlan *copy;

  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);

  copy = ave_plan_new (self->source, self->source_duration);
  copy->director = g_strdup (self->director);
  for (guint i = 0; i < self->segments->len; i++)
    {
      AveSegment segment = g_array_index (self->segments, AveSegment, i);

      segment.reason = g_strdup (segment.reason);
      g_array_append_val (copy->segments, segment);
    }
  for (guint i = 0; i < self->chapters->len; i++)
    {
      AveChapter chapter = g_array_index (self->chapters, AveChapter, i);

      chapter.title = g_strdup (chapter.title);
      g_array_append_val (copy->chapters, chapter);
    }
  for (guint i = 0; i < self->cards->len; i++)
    {
      AveCard card;

      copy_card_into (&card, &g_array_index (self->cards, AveCard, i));
      g_array_append_val (copy->cards, card);
    }
  copy->meta_title = g_strdup (self->meta_title);
  copy->meta_description = g_strdup (self->meta_description);
  copy->meta_tags = g_strdupv (self->meta_tags);
  copy->meta_thumbnail_time = self->meta_thumbnail_time;
  copy->meta_thumbnail_text = g_strdup (self->meta_thumbnail_text);
  return copy;
}

void
ave_plan_set_metadata (AvePlan *self, const char *title, const char *description,
                       const char * const *tags, guint n_tags,
                       double thumbnail_time, const char *thumbnail_text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_if_fail (AVE_IS_PLAN (self));
  g_free (self->meta_title);
  self->meta_title = dup_capped (title, AVE_PLAN_MAX_TITLE_CHARS);
  g_free (self->meta_description);
  self->meta_description = dup_capped (description, AVE_PLAN_MAX_REASON_CHARS);
  for (guint i = 0; tags != NULL && i < MIN (n_tags, 50u); i++)
    {
      g_autofree char *tag = dup_capped (tags[i], AVE_PLAN_MAX_TITLE_CHARS);
      if (tag != NULL)
        g_strv_builder_add (builder, tag);
    }
  g_strfreev (self->meta_tags);
  self->meta_tags = g_strv_builder_end (builder);
  self->meta_thumbnail_time = isfinite (thumbnail_time) && thumbnail_time >= 0
                              && thumbnail_time <= AVE_PLAN_MAX_SECONDS ? thumbnail_time : -1;
  g_free (self->meta_thumbnail_text);
  self->meta_thumbnail_text = dup_capped (thumbnail_text, AVE_PLAN_MAX_TITLE_CHARS);
  emit_changed (self);
}

gboolean
ave_plan_get_metadata (AvePlan *self, const char **title, const char **description,
                       const char * const **tags, double *thumbnail_time, const char **thumbnail_text)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);
  if (title != NULL)
    *title = self->meta_title;
  if (description != NULL)
    *description = self->meta_description;
  if (tags != NULL)
    *tags = (const char * const *) self->meta_tags;
  if (thumbnail_time != NULL)
    *thumbnail_time = self->meta_thumbnail_time;
  if (thumbnail_text != NULL)
    *thumbnail_text = self->meta_thumbnail_text;
  return self->meta_title != NULL;
}

const char *
ave_plan_get_source (AvePlan *self)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);

  return self->source;
}

double
ave_plan_get_source_duration (AvePlan *self)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), 0.0);

  return self->source_duration;
}

const char *
ave_plan_get_director (AvePlan *self)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);

  return self->director;
}

void
ave_plan_set_director (AvePlan    *self,
                       const char *director)
{
  g_return_if_fail (AVE_IS_PLAN (self));

  if (g_strcmp0 (self->director, director) == 0)
    return;

  g_free (self->director);
  self->director = dup_capped (director, AVE_PLAN_MAX_NAME_CHARS);
  emit_changed (self);
}

guint
ave_plan_get_n_segments (AvePlan *self)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), 0);

  return self->segments->len;
}

const AveSegment *
ave_plan_get_segment (AvePlan *self,
                      guint    index)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);
  g_return_val_if_fail (index < self->segments->len, NULL);

  return &g_array_index (self->segments, AveSegment, index);
}

static inline AveSegment *
segment_at (AvePlan *self,
            guint    index)
{
  return &g_array_index (self->segments, AveSegment, index);
}

static inline AveCard *
card_at (AvePlan *self,
         guint    index)
{
  return &g_array_index (self->cards, AveCard, index);
}

/* Keeps TITLE cards between the same neighbours when segments are
 * inserted or removed: every card placed before a segment at or after
 * `from` moves by `delta` slots. */
static void
shift_title_slots (AvePlan *self,
                   guint    from,
                   int      delta)
{
  for (guint i = 0; i < self->cards->len; i++)
    {
      AveCard *card = card_at (self, i);

      if (card->kind == AVE_CARD_TITLE && card->insert_before >= from)
        card->insert_before = (guint) MAX (0, (int) card->insert_before + delta);
    }
}

static inline double
segment_length (const AveSegment *segment)
{
  return segment->end - segment->start;
}

/* A range the timeline may hold: inside the source (when its length is
 * known) and at least one frame long. */
static gboolean
range_is_valid (AvePlan *self,
                double   start,
                double   end)
{
  if (!isfinite (start) || !isfinite (end))
    return FALSE;
  if (start < 0.0 || end - start < MIN_SEGMENT_DURATION - 1e-9 || end > AVE_PLAN_MAX_SECONDS)
    return FALSE;
  if (self->source_duration > 0.0 && end > self->source_duration + 1e-9)
    return FALSE;
  return TRUE;
}

/* Keeps the invariant that a transition is shorter than both segments it
 * joins after an edit changed a neighbour (trim, move, split, remove): a
 * transition that no longer fits is shortened to half the shorter
 * neighbour, rather than refusing an edit the user clearly meant. */
static void
fit_transitions (AvePlan *self)
{
  for (guint i = 0; i < self->segments->len; i++)
    {
      AveSegment *segment = segment_at (self, i);
      double limit = segment_length (segment);

      if (segment->transition == AVE_TRANSITION_CUT)
        {
          segment->transition_duration = 0.0;
          continue;
        }
      if (i > 0)
        limit = MIN (limit, segment_length (segment_at (self, i - 1)));
      if (segment->transition_duration >= limit)
        segment->transition_duration = limit / 2.0;
    }
}

gboolean
ave_plan_append_segment (AvePlan          *self,
                         const AveSegment *segment)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  /* An outro placed after the last segment stays the last thing shown. */
  return ave_plan_insert_segment (self, self->segments->len, segment);
}

gboolean
ave_plan_insert_segment (AvePlan          *self,
                         guint             index,
                         const AveSegment *segment)
{
  AveSegment copy;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);
  g_return_val_if_fail (segment != NULL, FALSE);

  if (index > self->segments->len)
    return FALSE;
  if (!range_is_valid (self, segment->start, segment->end))
    return FALSE;
  if ((guint) segment->transition >= G_N_ELEMENTS (_ave_plan_transition_names))
    return FALSE;
  if (!isfinite (segment->transition_duration) || segment->transition_duration < 0.0)
    return FALSE;
  if (self->segments->len >= AVE_PLAN_MAX_SEGMENTS)
    return FALSE;

  if ((guint) segment->origin >= G_N_ELEMENTS (_ave_plan_origin_names))
    return FALSE;

  copy = *segment;
  copy.enabled = segment->enabled != FALSE;
  copy.reason = dup_capped (segment->reason, AVE_PLAN_MAX_REASON_CHARS);
  /* Title cards before the segment now at `index` stay before it. */
  shift_title_slots (self, index, 1);
  g_array_insert_val (self->segments, index, copy);
  fit_transitions (self);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_trim_segment (AvePlan *self,
                       guint    index,
                       double   start,
                       double   end)
{
  AveSegment *segment;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->segments->len || !range_is_valid (self, start, end))
    return FALSE;

  segment = segment_at (self, index);
  if (segment->start == start && segment->end == end)
    return TRUE;

  segment->start = start;
  segment->end = end;
  /* Its bounds are now the user's decision. */
  segment->origin = AVE_SEGMENT_ORIGIN_USER;
  fit_transitions (self);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_move_segment (AvePlan *self,
                       guint    from,
                       guint    to)
{
  AveSegment moved;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (from >= self->segments->len || to >= self->segments->len)
    return FALSE;
  if (from == to)
    return TRUE;

  /* Take the element out without running the clear func: ownership of
   * the reason string moves with it. */
  moved = *segment_at (self, from);
  if (from < to)
    memmove (segment_at (self, from), segment_at (self, from + 1),
             (to - from) * sizeof (AveSegment));
  else
    memmove (segment_at (self, to + 1), segment_at (self, to),
             (from - to) * sizeof (AveSegment));
  *segment_at (self, to) = moved;

  fit_transitions (self);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_set_segment_enabled (AvePlan  *self,
                              guint     index,
                              gboolean  enabled)
{
  AveSegment *segment;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->segments->len)
    return FALSE;

  segment = segment_at (self, index);
  enabled = enabled != FALSE;
  if (segment->enabled == enabled)
    return TRUE;

  segment->enabled = enabled;
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_split_segment (AvePlan *self,
                        guint    index,
                        double   source_time)
{
  AveSegment *segment;
  AveSegment second;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->segments->len || !isfinite (source_time) ||
      self->segments->len >= AVE_PLAN_MAX_SEGMENTS)
    return FALSE;

  segment = segment_at (self, index);
  if (source_time - segment->start < MIN_SEGMENT_DURATION - 1e-9 ||
      segment->end - source_time < MIN_SEGMENT_DURATION - 1e-9)
    return FALSE;

  /* The two halves are continuous in the source, so the join is a plain
   * cut: nothing visible happens there until the user edits it. */
  second = *segment;
  second.start = source_time;
  second.transition = AVE_TRANSITION_CUT;
  second.transition_duration = 0.0;
  second.reason = g_strdup (segment->reason);
  segment->end = source_time;

  shift_title_slots (self, index + 1, 1);
  g_array_insert_val (self->segments, index + 1, second);
  fit_transitions (self);
  emit_changed (self);
  return TRUE;
}

/* Two segments are one piece of the source when the second starts where
 * the first ends (to a microsecond: plan.json's grid). */
#define JOIN_TOLERANCE 1e-6

gboolean
ave_plan_merge_segments (AvePlan *self,
                         guint    index)
{
  AveSegment *first, *second;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index + 1 >= self->segments->len)
    return FALSE;
  first = segment_at (self, index);
  second = segment_at (self, index + 1);
  if (fabs (second->start - first->end) > JOIN_TOLERANCE ||
      first->enabled != second->enabled ||
      second->transition != AVE_TRANSITION_CUT)
    return FALSE;
  /* A title card between them would lose its place. */
  for (guint i = 0; i < self->cards->len; i++)
    {
      const AveCard *card = card_at (self, i);

      if (card->kind == AVE_CARD_TITLE && card->insert_before == index + 1)
        return FALSE;
    }

  first->end = second->end;
  g_array_remove_index (self->segments, index + 1);
  shift_title_slots (self, index + 2, -1);
  fit_transitions (self);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_set_segment_reason (AvePlan          *self,
                             guint             index,
                             AveSegmentOrigin  origin,
                             const char       *reason)
{
  AveSegment *segment;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->segments->len || (guint) origin >= G_N_ELEMENTS (_ave_plan_origin_names))
    return FALSE;

  segment = segment_at (self, index);
  if (segment->origin == origin && g_strcmp0 (segment->reason, reason) == 0)
    return TRUE;
  segment->origin = origin;
  g_free (segment->reason);
  segment->reason = dup_capped (reason, AVE_PLAN_MAX_REASON_CHARS);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_remove_segment (AvePlan *self,
                         guint    index)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->segments->len)
    return FALSE;

  g_array_remove_index (self->segments, index);
  shift_title_slots (self, index + 1, -1);
  fit_transitions (self);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_set_transition (AvePlan           *self,
                         guint              index,
                         AveTransitionType  type,
                         double             duration)
{
  AveSegment *segment;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->segments->len || (guint) type >= G_N_ELEMENTS (_ave_plan_transition_names))
    return FALSE;

  segment = segment_at (self, index);
  if (type == AVE_TRANSITION_CUT)
    duration = 0.0;
  else
    {
      if (!isfinite (duration) || duration <= 0.0)
        return FALSE;
      if (duration >= segment_length (segment))
        return FALSE;
      if (index > 0 && duration >= segment_length (segment_at (self, index - 1)))
        return FALSE;
    }

  if (segment->transition == type && segment->transition_duration == duration)
    return TRUE;

  segment->transition = type;
  segment->transition_duration = duration;
  emit_changed (self);
  return TRUE;
}

guint
ave_plan_get_n_chapters (AvePlan *self)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), 0);

  return self->chapters->len;
}

const AveChapter *
ave_plan_get_chapter (AvePlan *self,
                      guint    index)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);
  g_return_val_if_fail (index < self->chapters->len, NULL);

  return &g_array_index (self->chapters, AveChapter, index);
}

void
ave_plan_add_chapter (AvePlan    *self,
                      double      output_time,
                      const char *title)
{
  AveChapter chapter;
  guint position = 0;

  g_return_if_fail (AVE_IS_PLAN (self));
  g_return_if_fail (title != NULL);
  g_return_if_fail (isfinite (output_time));

  /* What plan.json can hold: the oldest chapters stay. */
  if (self->chapters->len >= AVE_PLAN_MAX_CHAPTERS)
    {
      g_debug ("chapter \"%s\" not added: the plan has the most chapters it may hold (%d)",
               title, AVE_PLAN_MAX_CHAPTERS);
      return;
    }
  output_time = CLAMP (output_time, 0.0, AVE_PLAN_MAX_SECONDS);

  /* Chapters are kept in time order: players and metadata list them so. */
  while (position < self->chapters->len &&
         g_array_index (self->chapters, AveChapter, position).time <= output_time)
    position++;

  chapter.time = output_time;
  chapter.title = dup_capped (title, AVE_PLAN_MAX_TITLE_CHARS);
  g_array_insert_val (self->chapters, position, chapter);
  emit_changed (self);
}

void
ave_plan_clear_chapters (AvePlan *self)
{
  g_return_if_fail (AVE_IS_PLAN (self));

  if (self->chapters->len == 0)
    return;

  g_array_set_size (self->chapters, 0);
  emit_changed (self);
}

/* ------------------------------------------------------- output time */

static void
item_set_join (AveOutputItem       *item,
               const AveOutputItem *previous)
{
  AveTransitionType transition;
  double duration;

  if (previous == NULL)
    {
      /* The first thing shown joins nothing. */
      item->transition = AVE_TRANSITION_CUT;
      item->transition_duration = 0.0;
      item->overlap = 0.0;
      return;
    }

  /* A card says how it enters and how it leaves: a segment's own
   * transition was chosen for joining another segment. */
  if (item->card != NULL)
    {
      transition = item->card->transition;
      duration = item->card->transition_duration;
    }
  else if (previous->card != NULL)
    {
      transition = previous->card->transition;
      duration = previous->card->transition_duration;
    }
  else
    {
      transition = item->segment->transition;
      duration = item->segment->transition_duration;
    }

  item->transition = transition;
  item->transition_duration = transition == AVE_TRANSITION_CUT ? 0.0 : duration;
  /* Only crossfades overlap; a fade goes through black inside the two
   * items, and a cut joins them end to end.  The overlap never exceeds
   * either item, so a plan edited by hand cannot produce a negative
   * duration. */
  item->overlap = transition == AVE_TRANSITION_CROSSFADE
                  ? MAX (0.0, MIN (duration, MIN (previous->duration, item->duration)))
                  : 0.0;
}

static void
append_item (GArray           *items,
             const AveSegment *segment,
             const AveCard    *card,
             guint             index)
{
  AveOutputItem item = { 0 };
  const AveOutputItem *previous = items->len > 0
                                  ? &g_array_index (items, AveOutputItem, items->len - 1)
                                  : NULL;

  item.segment = segment;
  item.card = card;
  item.index = index;
  item.duration = segment != NULL ? segment_length (segment) : card->duration;
  item_set_join (&item, previous);
  item.output_start = previous != NULL
                      ? previous->output_start + previous->duration - item.overlap
                      : 0.0;
  g_array_append_val (items, item);
}

GArray *
ave_plan_list_output_items (AvePlan *self)
{
  GArray *items;

  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);

  items = g_array_new (FALSE, TRUE, sizeof (AveOutputItem));
  for (guint slot = 0; slot <= self->segments->len; slot++)
    {
      /* Cards sharing a slot play in the order they were added. */
      for (guint c = 0; c < self->cards->len; c++)
        {
          const AveCard *card = card_at (self, c);

          if (card->kind == AVE_CARD_TITLE && card->insert_before == slot)
            append_item (items, NULL, card, c);
        }
      if (slot < self->segments->len && segment_at (self, slot)->enabled)
        append_item (items, segment_at (self, slot), NULL, slot);
    }
  return items;
}

static double
items_end (GArray *items)
{
  const AveOutputItem *last;

  if (items->len == 0)
    return 0.0;
  last = &g_array_index (items, AveOutputItem, items->len - 1);
  return last->output_start + last->duration;
}

double
ave_plan_get_output_duration (AvePlan *self)
{
  g_autoptr(GArray) items = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (self), 0.0);

  items = ave_plan_list_output_items (self);
  return items_end (items);
}

double
ave_plan_source_to_output (AvePlan *self,
                           double   source_time)
{
  g_autoptr(GArray) items = NULL;

  g_return_val_if_fail (AVE_IS_PLAN (self), -1.0);

  items = ave_plan_list_output_items (self);
  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, i);

      /* The first segment that contains the time wins: a source moment
       * used twice (a repeated take) maps to its first appearance. */
      if (item->segment != NULL &&
          source_time >= item->segment->start && source_time <= item->segment->end)
        return item->output_start + (source_time - item->segment->start);
    }
  return -1.0;
}

double
ave_plan_output_to_source (AvePlan *self,
                           double   output_time)
{
  g_autoptr(GArray) items = NULL;
  double last = -1.0;
  gboolean on_card = FALSE;

  g_return_val_if_fail (AVE_IS_PLAN (self), -1.0);

  items = ave_plan_list_output_items (self);
  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, i);
      gboolean inside = output_time < item->output_start + item->duration;

      if (item->segment == NULL)
        {
          on_card = on_card || inside;
          continue;
        }
      /* a card shows before the segment that follows it */
      if (on_card)
        return item->segment->start;
      if (inside)
        return item->segment->start + MAX (output_time - item->output_start, 0.0);
      last = item->segment->end;
    }
  return last;
}

/* ------------------------------------------------------------ card edits */

static gboolean
text_fits (const char *text,
           guint       max_chars)
{
  return g_utf8_validate (text, -1, NULL) && (gsize) g_utf8_strlen (text, -1) <= max_chars;
}

/* Checks one card against the plan; `path` names it in messages
 * ("cards[1]"), and the error names the member at fault. */

gboolean
_ave_plan_check_card (AvePlan              *self,
                      const AveCard        *card,
                      const AveJsonFormat  *format,
                      const char           *path,
                      GError              **error)
{
  const char *member = NULL;
  g_autofree char *detail = NULL;

  if ((guint) card->kind >= G_N_ELEMENTS (_ave_plan_card_kind_names))
    {
      member = "kind";
      detail = g_strdup ("unknown kind (allowed: title, overlay)");
    }
  else if ((guint) card->style >= G_N_ELEMENTS (_ave_plan_card_style_names))
    {
      member = "style";
      detail = g_strdup ("unknown style (allowed: dark, light, accent)");
    }
  else if ((card->title == NULL || *card->title == '\0') &&
           (card->image_path == NULL || *card->image_path == '\0'))
    {
      member = "title";
      detail = g_strdup ("missing (a card needs a title, an image or both)");
    }
  else if (card->title != NULL && !text_fits (card->title, AVE_PLAN_MAX_TITLE_CHARS))
    {
      member = "title";
      detail = g_strdup_printf ("must be valid UTF-8 of at most %d characters; shorten it",
                                AVE_PLAN_MAX_TITLE_CHARS);
    }
  else if (card->subtitle != NULL && !text_fits (card->subtitle, AVE_PLAN_MAX_TITLE_CHARS))
    {
      member = "subtitle";
      detail = g_strdup_printf ("must be valid UTF-8 of at most %d characters; shorten it",
                                AVE_PLAN_MAX_TITLE_CHARS);
    }
  else if (card->image_path != NULL && !text_fits (card->image_path, AVE_PLAN_MAX_PATH_CHARS))
    {
      member = "image";
      detail = g_strdup_printf ("must be a valid UTF-8 path of at most %d characters",
                                AVE_PLAN_MAX_PATH_CHARS);
    }
  else if (!isfinite (card->duration) || card->duration < MIN_SEGMENT_DURATION)
    {
      member = "duration";
      detail = g_strdup_printf ("must be at least %.2f s (got %.3f)",
                                MIN_SEGMENT_DURATION, card->duration);
    }
  /* A title card is output time the composer renders frame by frame. */
  else if (card->kind == AVE_CARD_TITLE && card->duration > AVE_PLAN_MAX_TITLE_CARD_SECONDS)
    {
      member = "duration";
      detail = g_strdup_printf ("a title card plays at most %.0f s (got %.3f)",
                                AVE_PLAN_MAX_TITLE_CARD_SECONDS, card->duration);
    }
  else if (card->duration > AVE_PLAN_MAX_SECONDS)
    {
      member = "duration";
      detail = g_strdup_printf ("must be at most %.0f s (got %.3f)", AVE_PLAN_MAX_SECONDS, card->duration);
    }
  else if ((guint) card->transition >= G_N_ELEMENTS (_ave_plan_transition_names))
    {
      member = "transition";
      detail = g_strdup ("unknown transition (allowed: cut, crossfade, fade)");
    }
  else if (card->transition != AVE_TRANSITION_CUT &&
           !(isfinite (card->transition_duration) && card->transition_duration > 0.0))
    {
      member = "transition_duration";
      detail = g_strdup_printf ("a %s needs a duration greater than 0 (got %.3f)",
                                _ave_plan_transition_names[card->transition], card->transition_duration);
    }
  /* A card transitions on both of its sides: each may take half of it. */
  else if (card->transition != AVE_TRANSITION_CUT &&
           card->transition_duration > card->duration / 2.0 + 1e-9)
    {
      member = "transition_duration";
      detail = g_strdup_printf ("%.3f must be at most half the card's duration (%.3f s)",
                                card->transition_duration, card->duration / 2.0);
    }
  else if (card->kind == AVE_CARD_TITLE && card->insert_before > self->segments->len)
    {
      member = "insert_before";
      detail = g_strdup_printf ("%u is past the last segment (there are %u; %u means at the end)",
                                card->insert_before, self->segments->len, self->segments->len);
    }
  else if (card->kind == AVE_CARD_OVERLAY)
    {
      if (!isfinite (card->output_time) || card->output_time < 0.0 ||
          card->output_time > AVE_PLAN_MAX_SECONDS)
        {
          member = "time";
          detail = card->output_time < 0.0
                   ? g_strdup_printf ("must not be negative (%.3f)", card->output_time)
                   : g_strdup_printf ("must be from 0 to %.0f s (got %.3f)", AVE_PLAN_MAX_SECONDS,
                                      card->output_time);
        }
      else if (!isfinite (card->opacity) || card->opacity < 0.0 || card->opacity > 1.0)
        {
          member = "opacity";
          detail = g_strdup_printf ("must be between 0 and 1 (got %.3f)", card->opacity);
        }
      else if (!isfinite (card->x) || card->x < 0.0 || card->x >= 1.0)
        {
          member = "x";
          detail = g_strdup_printf ("must be from 0 to below 1, a fraction of the frame width (got %.3f)", card->x);
        }
      else if (!isfinite (card->y) || card->y < 0.0 || card->y >= 1.0)
        {
          member = "y";
          detail = g_strdup_printf ("must be from 0 to below 1, a fraction of the frame height (got %.3f)", card->y);
        }
      else if (!isfinite (card->width) || card->width <= 0.0 || card->x + card->width > 1.0 + 1e-9)
        {
          member = "width";
          detail = g_strdup_printf ("must be greater than 0 with x + width at most 1 (got %.3f at x %.3f)",
                                    card->width, card->x);
        }
      else if (!isfinite (card->height) || card->height <= 0.0 || card->y + card->height > 1.0 + 1e-9)
        {
          member = "height";
          detail = g_strdup_printf ("must be greater than 0 with y + height at most 1 (got %.3f at y %.3f)",
                                    card->height, card->y);
        }
    }

  if (member == NULL)
    return TRUE;

  {
    g_autofree char *p = ave_json_member_path (path, member);

    ave_json_set_invalid (format, error, p, "%s", detail);
  }
  return FALSE;
}

guint
ave_plan_get_n_cards (AvePlan *self)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), 0);

  return self->cards->len;
}

const AveCard *
ave_plan_get_card (AvePlan *self,
                   guint    index)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);
  g_return_val_if_fail (index < self->cards->len, NULL);

  return card_at (self, index);
}

/* Where a TITLE card starts in the output, or -1 when it is not shown. */
static double
title_card_output_start (AvePlan *self,
                         guint    index)
{
  g_autoptr(GArray) items = ave_plan_list_output_items (self);

  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, i);

      if (item->card != NULL && item->index == index)
        return item->output_start;
    }
  return -1.0;
}

/* After a TITLE card edit changed the output duration by `delta` at output
 * time `at`, the chapters and overlays after it follow the picture they
 * belonged to.  A chapter that begins exactly at `at` stays there (a card
 * inserted at a chapter's start opens that chapter); an overlay there moves
 * on with its picture.  Whatever fell inside a removed stretch lands at its
 * start. */
static void
shift_output_times (AvePlan *self,
                    double   at,
                    double   delta)
{
  if (delta == 0.0 || at < 0.0)
    return;

  for (guint i = 0; i < self->chapters->len; i++)
    {
      AveChapter *chapter = &g_array_index (self->chapters, AveChapter, i);

      /* Kept within what plan.json holds, so the plan saves and loads. */
      if (chapter->time > at + 1e-6)
        chapter->time = CLAMP (chapter->time + delta, at, AVE_PLAN_MAX_SECONDS);
    }
  for (guint i = 0; i < self->cards->len; i++)
    {
      AveCard *card = card_at (self, i);

      if (card->kind == AVE_CARD_OVERLAY && card->output_time >= at - 1e-6)
        card->output_time = CLAMP (card->output_time + delta, at, AVE_PLAN_MAX_SECONDS);
    }
}

/* Normalises what a caller hands in: a cut has no duration, text that is
 * empty is absent. */
void
_ave_plan_normalise_card (AveCard *card)
{
  if (card->transition == AVE_TRANSITION_CUT)
    card->transition_duration = 0.0;
  if (card->title != NULL && *card->title == '\0')
    g_clear_pointer (&card->title, g_free);
  if (card->subtitle != NULL && *card->subtitle == '\0')
    g_clear_pointer (&card->subtitle, g_free);
  if (card->image_path != NULL && *card->image_path == '\0')
    g_clear_pointer (&card->image_path, g_free);
}

/* Inserts (a copy of) `card` at `position` without emitting "changed". */
static void
insert_card (AvePlan       *self,
             guint          position,
             const AveCard *card)
{
  AveCard copy;
  double before = ave_plan_get_output_duration (self);

  copy_card_into (&copy, card);
  _ave_plan_normalise_card (&copy);
  g_array_insert_val (self->cards, position, copy);
  if (copy.kind == AVE_CARD_TITLE)
    {
      double at = title_card_output_start (self, position);
      double delta = ave_plan_get_output_duration (self) - before;

      /* The card's own overlays (none yet) are not shifted by itself. */
      if (at >= 0.0)
        shift_output_times (self, at, delta);
    }
}

/* Takes the card out without emitting "changed"; returns it. */
static AveCard
take_card (AvePlan *self,
           guint    index)
{
  AveCard card = *card_at (self, index);
  double at = card.kind == AVE_CARD_TITLE ? title_card_output_start (self, index) : -1.0;
  double before = ave_plan_get_output_duration (self);

  /* Remove without the clear func: ownership of the strings moves out. */
  memset (card_at (self, index), 0, sizeof (AveCard));
  g_array_remove_index (self->cards, index);
  if (at >= 0.0)
    shift_output_times (self, at, ave_plan_get_output_duration (self) - before);
  return card;
}

int
ave_plan_add_card (AvePlan       *self,
                   const AveCard *card)
{
  g_return_val_if_fail (AVE_IS_PLAN (self), -1);
  g_return_val_if_fail (card != NULL, -1);

  if (self->cards->len >= AVE_PLAN_MAX_CARDS || !_ave_plan_check_card (self, card, &_ave_plan_document.format, "card", NULL))
    return -1;

  insert_card (self, self->cards->len, card);
  emit_changed (self);
  return (int) self->cards->len - 1;
}

gboolean
ave_plan_remove_card (AvePlan *self,
                      guint    index)
{
  AveCard card;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->cards->len)
    return FALSE;

  card = take_card (self, index);
  _ave_plan_clear_card (&card);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_move_card (AvePlan *self,
                    guint    index,
                    guint    insert_before,
                    double   output_time)
{
  AveCard card;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  if (index >= self->cards->len)
    return FALSE;

  card = *card_at (self, index);
  if (card.kind == AVE_CARD_TITLE)
    {
      if (insert_before > self->segments->len)
        return FALSE;
      if (card.insert_before == insert_before)
        return TRUE;
    }
  else
    {
      if (!isfinite (output_time) || output_time < 0.0 || output_time > AVE_PLAN_MAX_SECONDS)
        return FALSE;
      if (card.output_time == output_time)
        return TRUE;
    }

  /* Out and in again, so the times after both places shift correctly;
   * the card keeps its index. */
  card = take_card (self, index);
  if (card.kind == AVE_CARD_TITLE)
    card.insert_before = insert_before;
  else
    card.output_time = output_time;
  insert_card (self, index, &card);
  _ave_plan_clear_card (&card);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_update_card (AvePlan       *self,
                      guint          index,
                      const AveCard *card)
{
  AveCard *slot;
  AveCard updated;
  double at = -1.0, before;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);
  g_return_val_if_fail (card != NULL, FALSE);

  if (index >= self->cards->len || card->kind != card_at (self, index)->kind)
    return FALSE;

  /* The position is ave_plan_move_card()'s business. */
  slot = card_at (self, index);
  copy_card_into (&updated, card);
  updated.insert_before = slot->insert_before;
  updated.output_time = slot->output_time;
  if (!_ave_plan_check_card (self, &updated, &_ave_plan_document.format, "card", NULL))
    {
      _ave_plan_clear_card (&updated);
      return FALSE;
    }
  _ave_plan_normalise_card (&updated);

  /* Replaced in place: a longer or shorter card pushes what follows it
   * by the difference, and nothing before it moves. */
  if (updated.kind == AVE_CARD_TITLE)
    at = title_card_output_start (self, index);
  before = ave_plan_get_output_duration (self);
  _ave_plan_clear_card (slot);
  *slot = updated;
  if (at >= 0.0)
    shift_output_times (self, at, ave_plan_get_output_duration (self) - before);
  emit_changed (self);
  return TRUE;
}

gboolean
ave_plan_check_source (AvePlan     *self,
                       const char  *input_path,
                       GError     **error)
{
  GStatBuf source_st, input_st;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);
  g_return_val_if_fail (input_path != NULL, FALSE);

  /* g_stat follows symbolic links: a link to the video is the video. */
  if (g_stat (input_path, &input_st) != 0)
    {
      int saved = errno;

      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                   "Cannot check the plan against %s: %s", input_path, g_strerror (saved));
      return FALSE;
    }
  if (self->source == NULL || g_stat (self->source, &source_st) != 0)
    {
      int saved = errno;

      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                   "The plan's source %s cannot be found (%s), so it cannot be checked against the input %s; "
                   "plan %s again or fix \"source\" in the plan",
                   self->source != NULL ? self->source : "(none)",
                   self->source != NULL ? g_strerror (saved) : "no source named",
                   input_path, input_path);
      return FALSE;
    }
  if (source_st.st_dev != input_st.st_dev || source_st.st_ino != input_st.st_ino)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                   "The plan was made for %s, not for the input %s; "
                   "give the plan's own video as the input, or plan %s again",
                   self->source, input_path, input_path);
      return FALSE;
    }
  return TRUE;
}

gboolean
ave_plan_validate (AvePlan     *self,
                   double       source_duration,
                   GError     **error)
{
  gboolean any_enabled = FALSE;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);

  for (guint i = 0; i < self->segments->len; i++)
    {
      const AveSegment *segment = segment_at (self, i);

      if (segment->start < -DURATION_TOLERANCE)
        {
          g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                       "segments[%u].start: must not be negative (%.3f)", i, segment->start);
          return FALSE;
        }
      if (segment->end <= segment->start)
        {
          g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                       "segments[%u].end: must be greater than start (%.3f)", i, segment->start);
          return FALSE;
        }
      if (source_duration > 0.0 && segment->start > source_duration + DURATION_TOLERANCE)
        {
          g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                       "segments[%u].start: %.3f is beyond the end of the video (%.3f s); "
                       "was the plan made for another file?", i, segment->start, source_duration);
          return FALSE;
        }
      if (source_duration > 0.0 && segment->end > source_duration + DURATION_TOLERANCE)
        {
          g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                       "segments[%u].end: %.3f is beyond the end of the video (%.3f s); "
                       "was the plan made for another file?", i, segment->end, source_duration);
          return FALSE;
        }
      any_enabled |= segment->enabled;
    }

  for (guint i = 0; i < self->cards->len; i++)
    {
      const AveCard *card = card_at (self, i);
      g_autofree char *path = g_strdup_printf ("cards[%u]", i);

      if (!_ave_plan_check_card (self, card, &_ave_plan_document.format, path, error))
        return FALSE;
      /* Found now rather than halfway through a long render. */
      if (card->image_path != NULL && !g_file_test (card->image_path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                       "cards[%u].image: %s does not exist or is not a file; "
                       "fix the path or remove the image from the card", i, card->image_path);
          return FALSE;
        }
    }

  if (!any_enabled)
    {
      g_set_error_literal (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_EMPTY,
                           self->segments->len == 0
                           ? "The plan has no segments, so there is nothing to render; "
                             "add a segment or plan the video again"
                           : "Every segment of the plan is disabled, so there is nothing to render; "
                             "enable at least one segment");
      return FALSE;
    }

  return TRUE;
}
