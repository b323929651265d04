/* ave-plan.h — the edit plan (plan.json): what the composer renders and the
 * timeline edits.
 *
 * The plan is a main-thread model (the UI edits it); the engine hands a
 * copy (ave_plan_copy) to worker threads.  Every edit emits "changed".
 * Schema: docs/plan-schema.md.  The model lives in ave-plan.c, its JSON
 * form (to_json, new_from_json, save, load) in ave-plan-json.c, read
 * through the engine's document reader (core/ave-json-doc.h).
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Version 2 added each segment's "origin"; version 1 files still load. */
#define AVE_PLAN_VERSION 2

/* Limits (docs/plan-schema.md, "Limits"): plan.json is refused beyond them,
 * and the editing calls refuse (cards) or shorten (chapter titles, reasons)
 * what would exceed them, so whatever is saved loads again. */
#define AVE_PLAN_MAX_FILE_BYTES         (32u * 1024u * 1024u)
#define AVE_PLAN_MAX_SECONDS            1000000.0  /* any source or output time: about 11.5 days */
#define AVE_PLAN_MAX_TITLE_CARD_SECONDS 300.0      /* a full-screen card plays at most 5 minutes */
#define AVE_PLAN_MAX_SEGMENTS           50000
#define AVE_PLAN_MAX_CHAPTERS           10000
#define AVE_PLAN_MAX_CARDS              1000
#define AVE_PLAN_MAX_TITLE_CHARS        200        /* card titles and subtitles, chapter titles */
#define AVE_PLAN_MAX_REASON_CHARS       1000       /* a segment's reason */
#define AVE_PLAN_MAX_NAME_CHARS         200        /* the director's name */
#define AVE_PLAN_MAX_PATH_CHARS         4096       /* source and image paths */

typedef enum {
  AVE_TRANSITION_CUT,        /* hard cut (the audio still gets a short crossfade) */
  AVE_TRANSITION_CROSSFADE,  /* video dissolve over `transition_duration`, overlapping the previous segment */
  AVE_TRANSITION_FADE,       /* fade through black: out of the previous segment, into this one */
} AveTransitionType;

/* Who decided a segment (docs/plan-schema.md, "origin"). */
typedef enum {
  AVE_SEGMENT_ORIGIN_LOCAL,  /* the embedded rule-based director (the default) */
  AVE_SEGMENT_ORIGIN_LLM,    /* a language model through the LLM director; `reason` is the model's */
  AVE_SEGMENT_ORIGIN_USER,   /* added or trimmed by hand on the timeline */
  AVE_SEGMENT_ORIGIN_IMPORT, /* read from another editor's edit (interchange/: MLT, FCPXML, …) */
} AveSegmentOrigin;

/* "local", "llm", "user", "import" */
const char *ave_segment_origin_to_string   (AveSegmentOrigin origin);
gboolean    ave_segment_origin_from_string (const char *text, AveSegmentOrigin *origin);

typedef struct
{
  double            start, end;            /* source seconds, start < end */
  AveTransitionType transition;            /* how this segment begins (ignored for the first) */
  double            transition_duration;   /* seconds, 0 for cuts */
  gboolean          enabled;               /* FALSE = cut out on the timeline, kept for restore */
  char             *reason;                /* why the director kept it (nullable, shown in the UI) */
  AveSegmentOrigin  origin;                /* who decided it; beside `reason` */
} AveSegment;

typedef struct
{
  double  time;                            /* output seconds */
  char   *title;
} AveChapter;

/* Cards: text and still pictures the plan adds to the source (docs/plan-schema.md, "cards"). */
typedef enum {
  AVE_CARD_TITLE,     /* full screen, inserted before a segment: occupies output time, silent */
  AVE_CARD_OVERLAY,   /* drawn over the output for a while: lower third, caption, picture-in-picture */
} AveCardKind;

typedef enum {
  AVE_CARD_STYLE_DARK,    /* dark gradient, light text (the default) */
  AVE_CARD_STYLE_LIGHT,   /* light gradient, dark text */
  AVE_CARD_STYLE_ACCENT,  /* deep blue gradient, light text */
} AveCardStyle;

typedef struct
{
  AveCardKind       kind;
  char             *title;                /* main text; nullable for an OVERLAY that shows only an image */
  char             *subtitle;             /* smaller second line (nullable) */
  char             *image_path;           /* B-roll still, any image FFmpeg reads (nullable) */
  AveCardStyle      style;
  double            duration;             /* seconds on screen, > 0 */
  /* TITLE: plays just before segments[insert_before] (== n_segments: at the
   * end); how it joins its neighbours on both sides (a crossfade overlaps
   * them like a segment's does, a fade goes through black). */
  guint             insert_before;
  AveTransitionType transition;
  double            transition_duration;
  /* OVERLAY: shown from output second `output_time`; the box is a fraction
   * of the frame (x, y: top-left corner; 0..1); opacity 0..1.  A non-cut
   * transition fades it in and out over transition_duration. */
  double            output_time;
  double            x, y, width, height;
  double            opacity;
} AveCard;

#define AVE_TYPE_CARD (ave_card_get_type ())
GType    ave_card_get_type    (void) G_GNUC_CONST;
/* A TITLE card of `duration` before segment `insert_before`, dark, cut in and out. */
AveCard *ave_card_new_title   (const char *title, const char *subtitle,
                               guint insert_before, double duration);
/* An OVERLAY lower third (bottom of the frame, fully opaque) at `output_time`. */
AveCard *ave_card_new_overlay (const char *title, const char *subtitle,
                               double output_time, double duration);
AveCard *ave_card_copy        (const AveCard *card);
void     ave_card_free        (AveCard *card);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveCard, ave_card_free)

/* One thing the output plays, in order: an enabled segment or a TITLE card. */
typedef struct
{
  const AveSegment *segment;              /* NULL for a card */
  const AveCard    *card;                 /* NULL for a segment */
  guint             index;                /* in the segments or the cards */
  double            output_start;         /* seconds */
  double            duration;             /* its length (the segment's end - start) */
  /* How it joins the item before it: a card's own transition on both of
   * its sides, else the segment's; CUT for the first item. */
  AveTransitionType transition;
  double            transition_duration;
  double            overlap;              /* seconds it overlaps the previous item (crossfades) */
} AveOutputItem;

#define AVE_TYPE_PLAN (ave_plan_get_type ())
G_DECLARE_FINAL_TYPE (AvePlan, ave_plan, AVE, PLAN, GObject)

AvePlan          *ave_plan_new                (const char *source, double source_duration);
AvePlan          *ave_plan_copy               (AvePlan *self);

const char       *ave_plan_get_source         (AvePlan *self);
double            ave_plan_get_source_duration (AvePlan *self);
const char       *ave_plan_get_director       (AvePlan *self);   /* e.g. "local" */
void              ave_plan_set_director       (AvePlan *self, const char *director);

guint             ave_plan_get_n_segments     (AvePlan *self);
const AveSegment *ave_plan_get_segment        (AvePlan *self, guint index);
/* Appends a copy; returns FALSE (and changes nothing) when the range is
 * empty or outside the source. */
gboolean          ave_plan_append_segment     (AvePlan *self, const AveSegment *segment);
/* The same, placed at `index` (0..n_segments): title cards before the
 * segment that was there stay before it. */
gboolean          ave_plan_insert_segment     (AvePlan *self, guint index,
                                               const AveSegment *segment);

/* Batches edits: between a freeze and its thaw "changed" is not emitted;
 * the last thaw emits it once if anything changed.  An undo rebuilds the
 * plan a segment at a time, and its views need to follow only once.
 * Calls nest. */
void              ave_plan_freeze_changed     (AvePlan *self);
void              ave_plan_thaw_changed       (AvePlan *self);

/* Editing (the timeline's operations); each returns FALSE for an invalid
 * request and leaves the plan unchanged. */
gboolean          ave_plan_trim_segment       (AvePlan *self, guint index, double start, double end);
gboolean          ave_plan_move_segment       (AvePlan *self, guint from, guint to);
gboolean          ave_plan_set_segment_enabled (AvePlan *self, guint index, gboolean enabled);
gboolean          ave_plan_split_segment      (AvePlan *self, guint index, double source_time);
gboolean          ave_plan_remove_segment     (AvePlan *self, guint index);
/* The inverse of a split: segment index + 1 joins segment `index` (which
 * keeps its reason, origin and transition) when it starts where `index`
 * ends in the source, both are enabled or both cut, it begins with a plain
 * cut and no title card plays between them. */
gboolean          ave_plan_merge_segments     (AvePlan *self, guint index);
/* Who decided a segment and why (the reason is capped like on load). */
gboolean          ave_plan_set_segment_reason (AvePlan *self, guint index,
                                               AveSegmentOrigin origin, const char *reason);
gboolean          ave_plan_set_transition     (AvePlan *self, guint index,
                                               AveTransitionType type, double duration);

/* What a director proposed for publishing (schema v2 "metadata"; the LLM
 * director fills it): a title, a description, tags, and the source time
 * and text of the thumbnail.  metadata.json puts them first.  Strings are
 * capped like chapter titles (description: AVE_PLAN_MAX_REASON_CHARS). */
void              ave_plan_set_metadata       (AvePlan *self, const char *title, const char *description,
                                               const char * const *tags, guint n_tags,
                                               double thumbnail_time, const char *thumbnail_text);
/* FALSE when the plan has none; any out pointer may be NULL. */
gboolean          ave_plan_get_metadata       (AvePlan *self, const char **title, const char **description,
                                               const char * const **tags, double *thumbnail_time,
                                               const char **thumbnail_text);

guint             ave_plan_get_n_chapters     (AvePlan *self);
const AveChapter *ave_plan_get_chapter        (AvePlan *self, guint index);
void              ave_plan_add_chapter        (AvePlan *self, double output_time, const char *title);
void              ave_plan_clear_chapters     (AvePlan *self);

/* Cards.  Adding, removing or moving a TITLE card shifts the chapters and
 * OVERLAY cards after it by the output time it adds or takes, so they stay
 * on the picture they belonged to.  Segment edits keep each TITLE card
 * between the same neighbours (split, remove) or in the same slot (move).
 * add returns the new card's index, or -1 (plan unchanged) when the card is
 * invalid: no text and no image, duration <= 0, insert_before past the
 * end, a negative output time, a box outside the frame, a card crossfade or
 * fade longer than half the card. */
guint             ave_plan_get_n_cards        (AvePlan *self);
const AveCard    *ave_plan_get_card           (AvePlan *self, guint index);
int               ave_plan_add_card           (AvePlan *self, const AveCard *card);
gboolean          ave_plan_remove_card        (AvePlan *self, guint index);
/* TITLE: to before segment `insert_before`; OVERLAY: to `output_time`
 * (the other argument is ignored). */
gboolean          ave_plan_move_card          (AvePlan *self, guint index,
                                               guint insert_before, double output_time);
/* Replaces the card's content (text, image, style, duration, box...);
 * the kind must match and the position (insert_before, output_time) stays
 * (use move for that); the same checks as add. */
gboolean          ave_plan_update_card        (AvePlan *self, guint index, const AveCard *card);

/* What the output plays, in order (AveOutputItem); the pointers inside are
 * valid until the next edit.  The composer renders exactly this list. */
GArray           *ave_plan_list_output_items  (AvePlan *self);

/* Sum of enabled segment and TITLE card durations minus crossfade overlaps. */
double            ave_plan_get_output_duration (AvePlan *self);
/* Maps a source time to output time (-1 when the time is cut); TITLE cards
 * before it push it later. */
double            ave_plan_source_to_output   (AvePlan *self, double source_time);
/* The other way: the source time shown at `output_time` (the outgoing
 * segment's during a crossfade; on a TITLE card, the start of the segment
 * after it, or the end of the one before when none follows); -1 when the
 * plan keeps nothing.  Times past the end map to the last kept moment. */
double            ave_plan_output_to_source   (AvePlan *self, double output_time);

/* The JSON form; "source" is the path as held in memory.  ave_plan_save
 * writes it relative to the plan file's folder instead. */
JsonNode         *ave_plan_to_json            (AvePlan *self);
/* Validates: errors (AVE_PLAN_ERROR_INVALID) name the field, e.g.
 * "segments[2].end: must be greater than start (4.0)"; a version newer
 * than AVE_PLAN_VERSION gives AVE_PLAN_ERROR_VERSION. */
AvePlan          *ave_plan_new_from_json      (JsonNode *node, GError **error);
/* Writes plan.json with "source" relative to the folder of `path` (when
 * they share more than the root), so a folder holding the plan and its
 * video can be moved. */
gboolean          ave_plan_save               (AvePlan *self, const char *path, GError **error);
/* The same, for a file written at `path` that will be moved into
 * `final_folder` (a staging folder's file): the source is written
 * relative to `final_folder`. */
gboolean          ave_plan_save_in            (AvePlan *self, const char *path,
                                               const char *final_folder, GError **error);
/* Reads plan.json; every error starts with `path` ("PATH: segments[3].start:
 * expected a number, found a string").  A relative "source" is resolved
 * against the plan file's folder (an absolute one, as older plans hold, is
 * kept), so ave_plan_get_source() is then an absolute path.  Files over
 * AVE_PLAN_MAX_FILE_BYTES are refused. */
AvePlan          *ave_plan_load               (const char *path, GError **error);

/* Refuses (AVE_PLAN_ERROR_INVALID, naming both files) a plan whose source
 * is not the file at `input_path`: the two are compared by identity
 * (device and inode, after following symbolic links), not by spelling, so
 * "./a.mp4", "/abs/a.mp4" and a link to it are the same file.  Also fails
 * when either file cannot be found. */
gboolean          ave_plan_check_source       (AvePlan *self, const char *input_path, GError **error);

/* Checks the plan against the media it will render (source duration) and
 * that every card's image file exists; AVE_PLAN_ERROR_EMPTY when nothing
 * is enabled. */
gboolean          ave_plan_validate           (AvePlan *self, double source_duration, GError **error);

G_END_DECLS
