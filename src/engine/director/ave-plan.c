#define G_LOG_DOMAIN "ave-plan"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "core/ave-error.h"
#include "ave-plan.h"
#include "ave-project.h"
#include "core/ave-json-read.h"

/* plan.json is edited by hand: errors name the field ("segments[2].end"). */
static const AveJsonFormat plan_json = {
  ave_plan_error_quark, AVE_PLAN_ERROR_INVALID, "a number of seconds",
};

/* The shortest segment the timeline accepts: about one frame at 100 fps.
 * Anything shorter cannot be rendered as a picture and is a mistake. */
#define MIN_SEGMENT_DURATION 0.01

/* Media durations from containers are estimates; a plan written against
 * one probe must still validate against another that differs by a frame. */
#define DURATION_TOLERANCE 0.05

/* Used when a hand-written plan names a crossfade or fade without saying
 * how long it is. */
#define DEFAULT_TRANSITION_DURATION 0.5

/* Where a new lower third sits: the bottom fifth of the frame, inset from
 * the edges by about the title-safe margin. */
#define LOWER_THIRD_X      0.05
#define LOWER_THIRD_Y      0.72
#define LOWER_THIRD_WIDTH  0.90
#define LOWER_THIRD_HEIGHT 0.20

struct _AvePlan
{
  GObject  parent_instance;

  char    *source;
  double   source_duration;
  char    *director;
  GArray  *segments;   /* AveSegment, clear func frees reason */
  GArray  *chapters;   /* AveChapter sorted by time, clear func frees title */
  GArray  *cards;      /* AveCard, clear func frees its strings */
  /* "metadata" (schema v2): NULL title = none */
  char    *meta_title;
  char    *meta_description;
  char   **meta_tags;
  double   meta_thumbnail_time;   /* source seconds, < 0 = none */
  char    *meta_thumbnail_text;
};

G_DEFINE_FINAL_TYPE (AvePlan, ave_plan, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const origin_names[] = {
  [AVE_SEGMENT_ORIGIN_LOCAL] = "local",
  [AVE_SEGMENT_ORIGIN_LLM] = "llm",
  [AVE_SEGMENT_ORIGIN_USER] = "user",
  [AVE_SEGMENT_ORIGIN_IMPORT] = "import",
};

const char *
ave_segment_origin_to_string (AveSegmentOrigin origin)
{
  g_return_val_if_fail ((guint) origin < G_N_ELEMENTS (origin_names), NULL);
  return origin_names[origin];
}

gboolean
ave_segment_origin_from_string (const char *text, AveSegmentOrigin *origin)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (origin_names); i++)
    if (g_str_equal (text, origin_names[i]))
      {
        *origin = i;
        return TRUE;
      }
  return FALSE;
}

static const char * const transition_names[] = {
  [AVE_TRANSITION_CUT] = "cut",
  [AVE_TRANSITION_CROSSFADE] = "crossfade",
  [AVE_TRANSITION_FADE] = "fade",
};

static const char * const card_kind_names[] = {
  [AVE_CARD_TITLE] = "title",
  [AVE_CARD_OVERLAY] = "overlay",
};

static const char * const card_style_names[] = {
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

static void
clear_card (gpointer data)
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
  clear_card (card);
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
  g_array_set_clear_func (self->cards, clear_card);
  self->meta_thumbnail_time = -1;
}

static void
emit_changed (AvePlan *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
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
  AveSegment copy;

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);
  g_return_val_if_fail (segment != NULL, FALSE);

  if (!range_is_valid (self, segment->start, segment->end))
    return FALSE;
  if ((guint) segment->transition >= G_N_ELEMENTS (transition_names))
    return FALSE;
  if (!isfinite (segment->transition_duration) || segment->transition_duration < 0.0)
    return FALSE;
  if (self->segments->len >= AVE_PLAN_MAX_SEGMENTS)
    return FALSE;

  if ((guint) segment->origin >= G_N_ELEMENTS (origin_names))
    return FALSE;

  copy = *segment;
  copy.enabled = segment->enabled != FALSE;
  copy.reason = dup_capped (segment->reason, AVE_PLAN_MAX_REASON_CHARS);
  /* An outro placed after the last segment stays the last thing shown. */
  shift_title_slots (self, self->segments->len, 1);
  g_array_append_val (self->segments, copy);
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

  if (index >= self->segments->len || (guint) type >= G_N_ELEMENTS (transition_names))
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

static gboolean
check_card (AvePlan        *self,
            const AveCard  *card,
            const char     *path,
            GError        **error)
{
  const char *member = NULL;
  g_autofree char *detail = NULL;

  if ((guint) card->kind >= G_N_ELEMENTS (card_kind_names))
    {
      member = "kind";
      detail = g_strdup ("unknown kind (allowed: title, overlay)");
    }
  else if ((guint) card->style >= G_N_ELEMENTS (card_style_names))
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
  else if ((guint) card->transition >= G_N_ELEMENTS (transition_names))
    {
      member = "transition";
      detail = g_strdup ("unknown transition (allowed: cut, crossfade, fade)");
    }
  else if (card->transition != AVE_TRANSITION_CUT &&
           !(isfinite (card->transition_duration) && card->transition_duration > 0.0))
    {
      member = "transition_duration";
      detail = g_strdup_printf ("a %s needs a duration greater than 0 (got %.3f)",
                                transition_names[card->transition], card->transition_duration);
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

    ave_json_set_invalid (&plan_json, error, p, "%s", detail);
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
static void
normalise_card (AveCard *card)
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
  normalise_card (&copy);
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

  if (self->cards->len >= AVE_PLAN_MAX_CARDS || !check_card (self, card, "card", NULL))
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
  clear_card (&card);
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
  clear_card (&card);
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
  if (!check_card (self, &updated, "card", NULL))
    {
      clear_card (&updated);
      return FALSE;
    }
  normalise_card (&updated);

  /* Replaced in place: a longer or shorter card pushes what follows it
   * by the difference, and nothing before it moves. */
  if (updated.kind == AVE_CARD_TITLE)
    at = title_card_output_start (self, index);
  before = ave_plan_get_output_duration (self);
  clear_card (slot);
  *slot = updated;
  if (at >= 0.0)
    shift_output_times (self, at, ave_plan_get_output_duration (self) - before);
  emit_changed (self);
  return TRUE;
}

/* -------------------------------------------------------------- JSON out */

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, isfinite (value) ? value : 0.0);
}

static void
add_nullable_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* Only the members that mean something for the card's kind are written. */
static void
add_card_json (JsonBuilder   *builder,
               const AveCard *card)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, card_kind_names[card->kind]);
  add_nullable_string (builder, "title", card->title);
  add_nullable_string (builder, "subtitle", card->subtitle);
  add_nullable_string (builder, "image", card->image_path);
  json_builder_set_member_name (builder, "style");
  json_builder_add_string_value (builder, card_style_names[card->style]);
  if (card->kind == AVE_CARD_TITLE)
    {
      json_builder_set_member_name (builder, "insert_before");
      json_builder_add_int_value (builder, card->insert_before);
    }
  else
    add_double (builder, "time", card->output_time);
  add_double (builder, "duration", card->duration);
  if (card->kind == AVE_CARD_OVERLAY)
    {
      add_double (builder, "x", card->x);
      add_double (builder, "y", card->y);
      add_double (builder, "width", card->width);
      add_double (builder, "height", card->height);
      add_double (builder, "opacity", card->opacity);
    }
  json_builder_set_member_name (builder, "transition");
  json_builder_add_string_value (builder, transition_names[card->transition]);
  add_double (builder, "transition_duration", card->transition_duration);
  json_builder_end_object (builder);
}

JsonNode *
ave_plan_to_json (AvePlan *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (AVE_IS_PLAN (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, AVE_PLAN_VERSION);
  json_builder_set_member_name (builder, "source");
  if (self->source != NULL)
    json_builder_add_string_value (builder, self->source);
  else
    json_builder_add_null_value (builder);
  add_double (builder, "source_duration", self->source_duration);
  json_builder_set_member_name (builder, "director");
  if (self->director != NULL)
    json_builder_add_string_value (builder, self->director);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "segments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->segments->len; i++)
    {
      const AveSegment *segment = segment_at (self, i);

      json_builder_begin_object (builder);
      add_double (builder, "start", segment->start);
      add_double (builder, "end", segment->end);
      json_builder_set_member_name (builder, "transition");
      json_builder_add_string_value (builder, transition_names[segment->transition]);
      add_double (builder, "transition_duration", segment->transition_duration);
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder, segment->enabled);
      json_builder_set_member_name (builder, "reason");
      if (segment->reason != NULL)
        json_builder_add_string_value (builder, segment->reason);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "origin");
      json_builder_add_string_value (builder, origin_names[segment->origin]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (self->meta_title != NULL)
    {
      json_builder_set_member_name (builder, "metadata");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, self->meta_title);
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, self->meta_description != NULL ? self->meta_description : "");
      json_builder_set_member_name (builder, "tags");
      json_builder_begin_array (builder);
      for (guint i = 0; self->meta_tags != NULL && self->meta_tags[i] != NULL; i++)
        json_builder_add_string_value (builder, self->meta_tags[i]);
      json_builder_end_array (builder);
      if (self->meta_thumbnail_time >= 0)
        {
          json_builder_set_member_name (builder, "thumbnail");
          json_builder_begin_object (builder);
          add_double (builder, "time", self->meta_thumbnail_time);
          json_builder_set_member_name (builder, "text");
          json_builder_add_string_value (builder, self->meta_thumbnail_text != NULL ? self->meta_thumbnail_text : "");
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }

  json_builder_set_member_name (builder, "chapters");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->chapters->len; i++)
    {
      const AveChapter *chapter = &g_array_index (self->chapters, AveChapter, i);

      json_builder_begin_object (builder);
      add_double (builder, "time", chapter->time);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, chapter->title);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "cards");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->cards->len; i++)
    add_card_json (builder, card_at (self, i));
  json_builder_end_array (builder);

  /* For people and scripts reading the file; recomputed on load. */
  add_double (builder, "output_duration", ave_plan_get_output_duration (self));

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* --------------------------------------------------------------- JSON in */

/* Every error names the field by its path ("segments[2].end") and the
 * value found, because plan.json is meant to be edited by hand. */

static gboolean
read_transition (JsonObject        *object,
                 const char        *parent,
                 AveTransitionType *out,
                 GError           **error)
{
  g_autofree char *name = NULL;

  if (!ave_json_read_string (&plan_json, object, parent, "transition", &name, error))
    return FALSE;

  *out = AVE_TRANSITION_CUT;
  if (name == NULL)
    return TRUE;

  for (guint t = 0; t < G_N_ELEMENTS (transition_names); t++)
    if (g_str_equal (name, transition_names[t]))
      {
        *out = t;
        return TRUE;
      }

  {
    g_autofree char *path = ave_json_member_path (parent, "transition");

    ave_json_set_invalid (&plan_json, error, path, "unknown transition \"%s\" (allowed: cut, crossfade, fade)", name);
  }
  return FALSE;
}

/* "metadata" (version 2): what a director proposed for publishing. */
static gboolean
read_metadata (AvePlan *self, JsonObject *root, GError **error)
{
  JsonNode *node = json_object_get_member (root, "metadata");
  JsonObject *obj;
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array = NULL;
  double time = -1;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (&plan_json, error, "metadata", "expected an object with title, description, tags");
      return FALSE;
    }
  obj = json_node_get_object (node);
  if (!ave_json_read_string_max (&plan_json, obj, "metadata", "title", AVE_PLAN_MAX_TITLE_CHARS, &title, error)
      || !ave_json_read_string_max (&plan_json, obj, "metadata", "description", AVE_PLAN_MAX_REASON_CHARS,
                                    &description, error)
      || !ave_json_read_array_max (&plan_json, obj, "tags", 50, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *tag = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (tag) || json_node_get_value_type (tag) != G_TYPE_STRING)
        {
          g_autofree char *p = g_strdup_printf ("metadata.tags[%u]", i);
          ave_json_set_invalid (&plan_json, error, p, "expected a string");
          return FALSE;
        }
      g_ptr_array_add (tags, g_strdup (json_node_get_string (tag)));
    }
  node = json_object_get_member (obj, "thumbnail");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      if (!ave_json_read_number (&plan_json, json_node_get_object (node), "metadata.thumbnail", "time", FALSE, -1,
                                 &time, error)
          || !ave_json_read_string_max (&plan_json, json_node_get_object (node), "metadata.thumbnail", "text",
                                        AVE_PLAN_MAX_TITLE_CHARS, &text, error))
        return FALSE;
    }
  if (title == NULL)
    return TRUE;
  self->meta_title = g_steal_pointer (&title);
  self->meta_description = g_steal_pointer (&description);
  g_ptr_array_add (tags, NULL);
  self->meta_tags = (char **) g_ptr_array_steal (tags, NULL);
  self->meta_thumbnail_time = time;
  self->meta_thumbnail_text = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
read_segment (AvePlan    *self,
              JsonNode   *node,
              guint       index,
              GError    **error)
{
  g_autofree char *path = g_strdup_printf ("segments[%u]", index);
  JsonObject *obj;
  AveSegment segment = { 0 };
  g_autofree char *reason = NULL;
  g_autofree char *origin = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (&plan_json, error, path, "expected an object with start and end");
      return FALSE;
    }
  obj = json_node_get_object (node);

  if (!ave_json_read_number (&plan_json, obj, path, "start", TRUE, 0, &segment.start, error) ||
      !ave_json_read_number (&plan_json, obj, path, "end", TRUE, 0, &segment.end, error))
    return FALSE;

  if (segment.start < 0.0)
    {
      g_autofree char *p = ave_json_member_path (path, "start");

      ave_json_set_invalid (&plan_json, error, p, "must not be negative (%.3f)", segment.start);
      return FALSE;
    }
  if (segment.end - segment.start < MIN_SEGMENT_DURATION - 1e-9)
    {
      g_autofree char *p = ave_json_member_path (path, "end");

      if (segment.end <= segment.start)
        ave_json_set_invalid (&plan_json, error, p, "must be greater than start (%.3f)", segment.start);
      else
        ave_json_set_invalid (&plan_json, error, p, "the segment must last at least %.2f s (it lasts %.3f s)",
                     MIN_SEGMENT_DURATION, segment.end - segment.start);
      return FALSE;
    }
  if (self->source_duration > 0.0 &&
      segment.end > self->source_duration + DURATION_TOLERANCE)
    {
      g_autofree char *p = ave_json_member_path (path, "end");

      ave_json_set_invalid (&plan_json, error, p, "%.3f is beyond the end of the source (source_duration %.3f)",
                   segment.end, self->source_duration);
      return FALSE;
    }

  if (!read_transition (obj, path, &segment.transition, error))
    return FALSE;
  if (!ave_json_read_number (&plan_json, obj, path, "transition_duration", FALSE,
                    segment.transition == AVE_TRANSITION_CUT ? 0.0 : DEFAULT_TRANSITION_DURATION,
                    &segment.transition_duration, error))
    return FALSE;

  if (segment.transition == AVE_TRANSITION_CUT)
    segment.transition_duration = 0.0;
  else
    {
      g_autofree char *p = ave_json_member_path (path, "transition_duration");
      double limit = segment.end - segment.start;

      if (segment.transition_duration <= 0.0)
        {
          ave_json_set_invalid (&plan_json, error, p, "a %s needs a duration greater than 0 (got %.3f)",
                       transition_names[segment.transition], segment.transition_duration);
          return FALSE;
        }
      if (index > 0)
        limit = MIN (limit, segment_length (segment_at (self, index - 1)));
      if (segment.transition_duration >= limit)
        {
          ave_json_set_invalid (&plan_json, error, p, "%.3f must be shorter than this segment%s (%.3f s)",
                       segment.transition_duration,
                       index > 0 ? " and the previous one" : "", limit);
          return FALSE;
        }
    }

  if (!ave_json_read_bool (&plan_json, obj, path, "enabled", TRUE, &segment.enabled, error))
    return FALSE;

  if (!ave_json_read_string_max (&plan_json, obj, path, "reason", AVE_PLAN_MAX_REASON_CHARS, &reason, error))
    return FALSE;
  /* Version 1 had no origin: its plans came from the local director. */
  if (!ave_json_read_string (&plan_json, obj, path, "origin", &origin, error))
    return FALSE;
  if (origin != NULL && !ave_segment_origin_from_string (origin, &segment.origin))
    {
      g_autofree char *p = ave_json_member_path (path, "origin");

      ave_json_set_invalid (&plan_json, error, p, "unknown origin \"%s\" (allowed: local, llm, user, import)", origin);
      return FALSE;
    }
  segment.reason = g_steal_pointer (&reason);

  g_array_append_val (self->segments, segment);
  return TRUE;
}

static gboolean
read_chapter (AvePlan   *self,
              JsonNode  *node,
              guint      index,
              GError   **error)
{
  g_autofree char *path = g_strdup_printf ("chapters[%u]", index);
  g_autofree char *title = NULL;
  JsonObject *obj;
  double time;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (&plan_json, error, path, "expected an object with time and title");
      return FALSE;
    }
  obj = json_node_get_object (node);

  if (!ave_json_read_number (&plan_json, obj, path, "time", TRUE, 0, &time, error) ||
      !ave_json_read_string_max (&plan_json, obj, path, "title", AVE_PLAN_MAX_TITLE_CHARS, &title, error))
    return FALSE;
  if (time < 0.0 || time > AVE_PLAN_MAX_SECONDS)
    {
      g_autofree char *p = ave_json_member_path (path, "time");

      if (time < 0.0)
        ave_json_set_invalid (&plan_json, error, p, "must not be negative (%.3f)", time);
      else
        ave_json_set_invalid (&plan_json, error, p, "must be at most %.0f s (got %.3f)", AVE_PLAN_MAX_SECONDS, time);
      return FALSE;
    }
  if (title == NULL)
    {
      g_autofree char *p = ave_json_member_path (path, "title");

      ave_json_set_invalid (&plan_json, error, p, "missing (expected a string)");
      return FALSE;
    }

  {
    AveChapter chapter = { time, g_steal_pointer (&title) };

    /* Sorted once all are read (ave_plan_new_from_json). */
    g_array_append_val (self->chapters, chapter);
  }
  return TRUE;
}

static int
compare_chapters (gconstpointer a,
                  gconstpointer b)
{
  double ta = ((const AveChapter *) a)->time, tb = ((const AveChapter *) b)->time;

  return (ta > tb) - (ta < tb);
}

/* A name from `names` (a table of n entries); `fallback` when absent. */
static gboolean
read_name (JsonObject         *object,
           const char         *parent,
           const char         *member,
           const char * const *names,
           guint               n_names,
           guint               fallback,
           guint              *out,
           GError            **error)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GString) allowed = NULL;

  if (!ave_json_read_string (&plan_json, object, parent, member, &name, error))
    return FALSE;
  *out = fallback;
  if (name == NULL)
    return TRUE;
  for (guint i = 0; i < n_names; i++)
    if (g_str_equal (name, names[i]))
      {
        *out = i;
        return TRUE;
      }

  allowed = g_string_new (NULL);
  for (guint i = 0; i < n_names; i++)
    g_string_append_printf (allowed, "%s%s", i > 0 ? ", " : "", names[i]);
  path = ave_json_member_path (parent, member);
  ave_json_set_invalid (&plan_json, error, path, "unknown %s \"%s\" (allowed: %s)", member, name, allowed->str);
  return FALSE;
}

static gboolean
read_card (AvePlan   *self,
           JsonNode  *node,
           guint      index,
           GError   **error)
{
  g_autofree char *path = g_strdup_printf ("cards[%u]", index);
  g_autofree char *kind_path = ave_json_member_path (path, "kind");
  JsonObject *obj;
  AveCard card = { 0 };
  guint kind, style;
  gboolean ok = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (&plan_json, error, path, "expected an object with kind, title and duration");
      return FALSE;
    }
  obj = json_node_get_object (node);

  if (!json_object_has_member (obj, "kind"))
    {
      ave_json_set_invalid (&plan_json, error, kind_path, "missing (expected \"title\" or \"overlay\")");
      return FALSE;
    }
  if (!read_name (obj, path, "kind", card_kind_names, G_N_ELEMENTS (card_kind_names),
                  AVE_CARD_TITLE, &kind, error) ||
      !read_name (obj, path, "style", card_style_names, G_N_ELEMENTS (card_style_names),
                  AVE_CARD_STYLE_DARK, &style, error))
    return FALSE;
  card.kind = kind;
  card.style = style;
  card.opacity = 1.0;
  if (card.kind == AVE_CARD_TITLE)
    card.width = card.height = 1.0;
  else
    {
      card.x = LOWER_THIRD_X;
      card.y = LOWER_THIRD_Y;
      card.width = LOWER_THIRD_WIDTH;
      card.height = LOWER_THIRD_HEIGHT;
    }

  if (!ave_json_read_string_max (&plan_json, obj, path, "title", AVE_PLAN_MAX_TITLE_CHARS, &card.title, error) ||
      !ave_json_read_string_max (&plan_json, obj, path, "subtitle", AVE_PLAN_MAX_TITLE_CHARS, &card.subtitle, error) ||
      !ave_json_read_string_max (&plan_json, obj, path, "image", AVE_PLAN_MAX_PATH_CHARS, &card.image_path, error) ||
      !ave_json_read_number (&plan_json, obj, path, "duration", TRUE, 0, &card.duration, error) ||
      !read_transition (obj, path, &card.transition, error) ||
      !ave_json_read_number (&plan_json, obj, path, "transition_duration", FALSE,
                    card.transition == AVE_TRANSITION_CUT ? 0.0 : DEFAULT_TRANSITION_DURATION,
                    &card.transition_duration, error))
    goto out;

  if (card.kind == AVE_CARD_TITLE)
    {
      JsonNode *slot = json_object_get_member (obj, "insert_before");
      g_autofree char *p = ave_json_member_path (path, "insert_before");
      double value;

      if (slot == NULL)
        {
          ave_json_set_invalid (&plan_json, error, p, "missing (expected the index of the segment the card plays before)");
          goto out;
        }
      if (!ave_json_node_get_number (&plan_json, slot, p, 0, G_MAXUINT, &value, error))
        goto out;
      if (value != floor (value))
        {
          ave_json_set_invalid (&plan_json, error, p, "expected a whole number from 0 (got %g)", value);
          goto out;
        }
      card.insert_before = (guint) value;
    }
  else if (!ave_json_read_number (&plan_json, obj, path, "time", TRUE, 0, &card.output_time, error) ||
           !ave_json_read_number (&plan_json, obj, path, "x", FALSE, card.x, &card.x, error) ||
           !ave_json_read_number (&plan_json, obj, path, "y", FALSE, card.y, &card.y, error) ||
           !ave_json_read_number (&plan_json, obj, path, "width", FALSE, card.width, &card.width, error) ||
           !ave_json_read_number (&plan_json, obj, path, "height", FALSE, card.height, &card.height, error) ||
           !ave_json_read_number (&plan_json, obj, path, "opacity", FALSE, card.opacity, &card.opacity, error))
    goto out;

  if (!check_card (self, &card, path, error))
    goto out;

  normalise_card (&card);
  g_array_append_val (self->cards, card);
  memset (&card, 0, sizeof card);
  ok = TRUE;

out:
  clear_card (&card);
  return ok;
}

AvePlan *
ave_plan_new_from_json (JsonNode  *node,
                        GError   **error)
{
  g_autoptr(AvePlan) self = NULL;
  g_autofree char *source = NULL;
  g_autofree char *director = NULL;
  JsonObject *root;
  JsonNode *version_node;
  JsonNode *member;
  JsonArray *array;
  double version;
  double source_duration;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                           "The plan must be a JSON object with \"version\", \"source\" and \"segments\"");
      return NULL;
    }
  root = json_node_get_object (node);

  version_node = json_object_get_member (root, "version");
  if (version_node == NULL)
    {
      ave_json_set_invalid (&plan_json, error, "version", "missing (expected %d)", AVE_PLAN_VERSION);
      return NULL;
    }
  if (!ave_json_node_get_number (&plan_json, version_node, "version", -AVE_JSON_MAX_MAGNITUDE,
                                 AVE_JSON_MAX_MAGNITUDE, &version, error))
    return NULL;
  if (version != floor (version) || version < 1)
    {
      ave_json_set_invalid (&plan_json, error, "version", "expected a whole number from 1 (got %g)", version);
      return NULL;
    }
  if (version > AVE_PLAN_VERSION)
    {
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_VERSION,
                   "version: plan version %g is newer than this program understands (%d); "
                   "update AI Video Editor or plan the video again",
                   version, AVE_PLAN_VERSION);
      return NULL;
    }

  if (!ave_json_read_string_max (&plan_json, root, NULL, "source", AVE_PLAN_MAX_PATH_CHARS, &source, error))
    return NULL;
  if (source == NULL || *source == '\0')
    {
      ave_json_set_invalid (&plan_json, error, "source", "missing (expected the path of the video the plan edits)");
      return NULL;
    }

  if (!ave_json_read_number (&plan_json, root, NULL, "source_duration", TRUE, 0, &source_duration, error))
    return NULL;
  if (source_duration <= 0.0 || source_duration > AVE_PLAN_MAX_SECONDS)
    {
      ave_json_set_invalid (&plan_json, error, "source_duration", "must be greater than 0 and at most %.0f (got %.3f)",
                            AVE_PLAN_MAX_SECONDS, source_duration);
      return NULL;
    }

  if (!ave_json_read_string_max (&plan_json, root, NULL, "director", AVE_PLAN_MAX_NAME_CHARS, &director, error))
    return NULL;

  self = ave_plan_new (source, source_duration);
  self->director = g_steal_pointer (&director);

  member = json_object_get_member (root, "segments");
  if (member == NULL)
    {
      ave_json_set_invalid (&plan_json, error, "segments", "missing (expected a list of segments)");
      return NULL;
    }
  if (!ave_json_read_array_max (&plan_json, root, "segments", AVE_PLAN_MAX_SEGMENTS, &array, error))
    return NULL;
  if (array == NULL)
    {
      ave_json_set_invalid (&plan_json, error, "segments", "expected an array");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!read_segment (self, json_array_get_element (array, i), i, error))
      return NULL;

  if (!ave_json_read_array_max (&plan_json, root, "chapters", AVE_PLAN_MAX_CHAPTERS, &array, error))
    return NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (!read_chapter (self, json_array_get_element (array, i), i, error))
      return NULL;
  /* Appended as read and sorted once: a stable sort keeps chapters of
   * the same time in the file's order. */
  g_array_sort (self->chapters, compare_chapters);

  /* Cards came after version 1 was first written: a plan without them
   * is still a version 1 plan. */
  if (!ave_json_read_array_max (&plan_json, root, "cards", AVE_PLAN_MAX_CARDS, &array, error))
    return NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (!read_card (self, json_array_get_element (array, i), i, error))
      return NULL;

  if (!read_metadata (self, root, error))
    return NULL;

  /* "output_duration" is derived from the segments and deliberately not
   * read: a hand edit of the segments must not leave it contradicting them. */

  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------- files */

/* json-glib prints doubles with 17 significant digits (0.1 becomes
 * 0.10000000000000001).  plan.json is edited by hand, so numbers are
 * written with the fewest digits that read back to the same double. */
static void
append_number (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* %g would write 20 as 2e+01 */
  if (value == floor (value) && fabs (value) < 1e15)
    {
      g_ascii_formatd (buffer, sizeof buffer, "%.0f", value);
      g_string_append (out, buffer);
      return;
    }

  for (int digits = 1; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);
}

static void
append_string (GString    *out,
               const char *str)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) str; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':  g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static gboolean
is_scalar_object (JsonNode *node)
{
  JsonObject *obj;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  obj = json_node_get_object (node);
  members = json_object_get_values (obj);
  for (GList *l = members; l != NULL; l = l->next)
    if (JSON_NODE_HOLDS_OBJECT (l->data) || JSON_NODE_HOLDS_ARRAY (l->data))
      return FALSE;
  return TRUE;
}

static void
append_node (GString  *out,
             JsonNode *node,
             int       indent,
             gboolean  one_line)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;

    case JSON_NODE_VALUE:
      {
        GType type = json_node_get_value_type (node);

        if (type == G_TYPE_STRING)
          append_string (out, json_node_get_string (node));
        else if (type == G_TYPE_BOOLEAN)
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
        else if (type == G_TYPE_INT64)
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
        else
          append_number (out, json_node_get_double (node));
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        if (n == 0)
          {
            g_string_append (out, "[]");
            break;
          }
        g_string_append (out, "[\n");
        for (guint i = 0; i < n; i++)
          {
            JsonNode *element = json_array_get_element (array, i);

            g_string_append_printf (out, "%*s", indent + 2, "");
            /* One segment or chapter per line keeps the file short and
             * makes a diff of two plans readable. */
            append_node (out, element, indent + 2, is_scalar_object (element));
            g_string_append (out, i + 1 < n ? ",\n" : "\n");
          }
        g_string_append_printf (out, "%*s]", indent, "");
      }
      break;

    case JSON_NODE_OBJECT:
      {
        JsonObject *obj = json_node_get_object (node);
        g_autoptr(GList) names = json_object_get_members (obj);
        const char *separator = one_line ? ", " : ",\n";

        if (names == NULL)
          {
            g_string_append (out, "{}");
            break;
          }
        g_string_append (out, one_line ? "{ " : "{\n");
        for (GList *l = names; l != NULL; l = l->next)
          {
            if (!one_line)
              g_string_append_printf (out, "%*s", indent + 2, "");
            append_string (out, l->data);
            g_string_append (out, ": ");
            append_node (out, json_object_get_member (obj, l->data), indent + 2, one_line);
            if (l->next != NULL)
              g_string_append (out, separator);
          }
        if (one_line)
          g_string_append (out, " }");
        else
          g_string_append_printf (out, "\n%*s}", indent, "");
      }
      break;
    }
}

gboolean
ave_plan_save (AvePlan     *self,
               const char  *path,
               GError     **error)
{
  return ave_plan_save_in (self, path, NULL, error);
}

gboolean
ave_plan_save_in (AvePlan     *self,
                  const char  *path,
                  const char  *final_folder,
                  GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (AVE_IS_PLAN (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  root = ave_plan_to_json (self);
  if (self->source != NULL)
    {
      /* Relative to the plan's folder, so the folder can move with its
       * video; in memory the path stays as it was given. */
      g_autofree char *plan_path = g_canonicalize_filename (path, NULL);
      g_autofree char *folder = final_folder != NULL ? g_canonicalize_filename (final_folder, NULL)
                                                     : g_path_get_dirname (plan_path);
      g_autofree char *source = g_canonicalize_filename (self->source, NULL);
      g_autofree char *relative = ave_project_relative_path (folder, source);

      json_object_set_string_member (json_node_get_object (root), "source",
                                     relative != NULL ? relative : source);
    }
  append_node (text, root, 0, FALSE);
  g_string_append_c (text, '\n');
  if (text->len > AVE_PLAN_MAX_FILE_BYTES)
    {
      /* Never write a file that ave_plan_load() would refuse. */
      g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_INVALID,
                   "%s not written: the plan is %.0f MiB, more than the %.0f MiB plan.json may be",
                   path, text->len / 1048576.0, AVE_PLAN_MAX_FILE_BYTES / 1048576.0);
      return FALSE;
    }

  /* Written to a temporary name in the same folder and renamed, so a
   * crash never leaves a half-written plan that looks complete. */
  return g_file_set_contents (path, text->str, (gssize) text->len, error);
}

AvePlan *
ave_plan_load (const char  *path,
               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  AvePlan *self;

  g_return_val_if_fail (path != NULL, NULL);

  if (!ave_json_load_file (&plan_json, parser, path, AVE_PLAN_MAX_FILE_BYTES, &local_error))
    {
      if (local_error->domain != JSON_PARSER_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        /* json-glib's message carries the line and column of the mistake. */
        g_set_error (error, AVE_PLAN_ERROR, AVE_PLAN_ERROR_PARSE,
                     "%s is not valid JSON: %s", path, local_error->message);
      return NULL;
    }

  self = ave_plan_new_from_json (json_parser_get_root (parser), &local_error);
  if (self == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
      return NULL;
    }
  if (!g_path_is_absolute (self->source))
    {
      g_autofree char *plan_path = g_canonicalize_filename (path, NULL);
      g_autofree char *folder = g_path_get_dirname (plan_path);
      char *source = g_canonicalize_filename (self->source, folder);

      g_free (self->source);
      self->source = source;
    }
  return self;
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

      if (!check_card (self, card, path, error))
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
