/* ave-interchange-private.h — what the format files share: rational frame
 * time and timecode, the plan laid out in whole frames, a small XML tree
 * for reading, and the edit an importer collects before it becomes a plan. */
#pragma once

#include "ave-interchange.h"

G_BEGIN_DECLS

/* ------------------------------------------------------ rate and timecode */

/* Frames per second as num/den: 30000/1001, 25/1 ... */
typedef struct
{
  gint64 num, den;
} AveRate;

/* The source's rate as an exact rational: a whole rate (25/1), an NTSC
 * one (N*1000/1001) or, for other rates, the nearest fraction with a
 * denominator up to 1000 (12.5 = 25/2).  FALSE when there is no usable
 * rate (no video, or none probed). */
gboolean ave_rate_from_fps        (double fps, AveRate *rate);
gboolean ave_rate_is_ntsc         (AveRate rate);
/* The timecode base: the whole number of frames counted per timecode
 * second (24 for 23.976, 30 for 29.97); 0 when the rate is neither whole
 * nor NTSC (no timecode can count it). */
int      ave_rate_timebase        (AveRate rate);
/* Drop-frame timecode is used for 29.97 and 59.94. */
gboolean ave_rate_drop_frame      (AveRate rate);
gint64   ave_rate_frames          (AveRate rate, double seconds);   /* nearest frame */
double   ave_rate_seconds         (AveRate rate, gint64 frames);
/* HH:MM:SS:FF (";" before the frames when drop-frame). */
char    *ave_timecode_from_frames (AveRate rate, gint64 frames);
/* Parses HH:MM:SS:FF or HH:MM:SS;FF (either separator; drop-frame follows
 * the rate); -1 when it is not a timecode of this rate. */
gint64   ave_timecode_to_frames   (AveRate rate, const char *text);

/* Frame numbers and counts read from a file beyond this (about 500
 * years at 60 fps) are refused, so that no arithmetic on them overflows. */
#define AVE_IC_MAX_FRAMES G_GINT64_CONSTANT (1000000000000)

/* ------------------------------------------------------- the layout */

typedef enum {
  AVE_IC_CLIP,   /* a piece of the source */
  AVE_IC_CARD,   /* a TITLE card (generated picture, silent) */
} AveIcKind;

typedef struct
{
  AveIcKind         kind;
  const AveSegment *segment;
  const AveCard    *card;
  guint             index;          /* in the plan's segments or cards */
  gint64            src_in, src_out; /* source frames, out exclusive (clips) */
  gint64            rec_in, rec_out; /* output frames, out exclusive */
  /* How it joins the item before it (CUT for the first). */
  AveTransitionType transition;
  gint64            overlap;        /* crossfade: frames shared with the previous item */
  gint64            fade;           /* fade through black: total frames (half out, half in) */
} AveIcItem;

typedef enum {
  AVE_IC_MARKER_CHAPTER,
  AVE_IC_MARKER_RETAKE,    /* a disabled segment: where it would have played */
  AVE_IC_MARKER_FILLER,    /* a filler word cut at this join */
  AVE_IC_MARKER_CARD,      /* a title card, for formats without generators */
} AveIcMarkerKind;

typedef struct
{
  AveIcMarkerKind kind;
  gint64          frame;            /* output frame */
  char           *name;
  char           *note;             /* nullable */
} AveIcMarker;

typedef struct
{
  AvePlan            *plan;
  const AveMediaInfo *media;
  AveRate             rate;
  gboolean            rate_ok;       /* a video rate was probed */
  char               *source_abs;    /* absolute path */
  char               *source_ref;    /* as written: absolute or relative to the export's folder */
  char               *source_url;    /* file:// URL of source_abs, or the relative reference escaped */
  char               *source_name;   /* base name */
  gint64              source_frames; /* the source's length in frames */
  int                 width, height; /* display size */
  GArray             *items;         /* AveIcItem */
  GArray             *markers;       /* AveIcMarker, by frame */
  gint64              total;         /* output frames */
  GArray             *output_items;  /* the plan's list, kept alive for the pointers */
} AveIcTimeline;

AveIcTimeline *ave_ic_timeline_new  (AvePlan *plan, const AveMediaInfo *media, AveAnalysis *analysis,
                                     const char *export_path, AveExportPaths paths, GError **error);
void           ave_ic_timeline_free (AveIcTimeline *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveIcTimeline, ave_ic_timeline_free)

/* Fails with AVE_INTERCHANGE_ERROR_RATE unless the rate has a timecode base. */
gboolean ave_ic_require_timebase (AveIcTimeline *self, const char *format_name, GError **error);

/* Card helpers: its text on one line ("Title — Subtitle"), and the style's colours. */
char       *ave_ic_card_text       (const AveCard *card);
const char *ave_ic_card_background (const AveCard *card);   /* "#rrggbb" */
const char *ave_ic_card_foreground (const AveCard *card);

/* XML text escaping into a GString. */
void ave_ic_append_escaped (GString *out, const char *text);
/* printf + escape of the %s arguments is the caller's: this appends
 * `indent` spaces, then the formatted text. */
void ave_ic_appendf (GString *out, int indent, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* One writer per format. */
char *ave_ic_write_mlt      (AveIcTimeline *t, gboolean kdenlive, GError **error);
char *ave_ic_write_fcpxml   (AveIcTimeline *t, GError **error);
char *ave_ic_write_xmeml    (AveIcTimeline *t, GError **error);
char *ave_ic_write_otio     (AveIcTimeline *t, GError **error);
char *ave_ic_write_edl      (AveIcTimeline *t, GError **error);

/* ------------------------------------------------------- XML reading */

typedef struct _AveXmlNode AveXmlNode;
struct _AveXmlNode
{
  char        *name;
  char       **attr_names;
  char       **attr_values;
  GString     *text;
  AveXmlNode  *parent;
  GPtrArray   *children;   /* AveXmlNode */
};

AveXmlNode *ave_xml_parse      (const char *data, gsize length, GError **error);
void        ave_xml_free       (AveXmlNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveXmlNode, ave_xml_free)
const char *ave_xml_attr       (const AveXmlNode *node, const char *name);
AveXmlNode *ave_xml_child      (const AveXmlNode *node, const char *name);
/* The text of the child `name`, stripped; NULL when absent. */
const char *ave_xml_child_text (const AveXmlNode *node, const char *name);
/* The first element named `name` anywhere below `node` (depth first). */
AveXmlNode *ave_xml_find       (const AveXmlNode *node, const char *name);
/* <property name="NAME">text</property> of an MLT element. */
const char *ave_xml_mlt_property (const AveXmlNode *node, const char *name);

/* ------------------------------------------------------- importing */

typedef struct
{
  gint64            src_in, src_out;  /* source frames, out exclusive */
  gint64            rec_in;           /* output frame where it starts */
  AveTransitionType transition;       /* how it joins the previous clip */
  gint64            transition_frames;
} AveIcClip;

typedef struct
{
  const char *format_name;
  const char *path;          /* the file read */
  AveRate     rate;
  char       *source;        /* as referenced (path or file:// URL) */
  gint64      source_frames; /* 0 when unknown */
  GArray     *clips;         /* AveIcClip, in timeline order */
  GArray     *markers;       /* AveIcMarker (chapters only are used) */
} AveIcEdit;

void      ave_ic_edit_init       (AveIcEdit *edit, const char *format_name, const char *path);
void      ave_ic_edit_clear      (AveIcEdit *edit);
/* Records the source of a clip; fails when it differs from one seen before. */
gboolean  ave_ic_edit_set_source (AveIcEdit *edit, const char *reference, GError **error);
void      ave_ic_edit_add_chapter (AveIcEdit *edit, gint64 frame, const char *name);
/* Checks (order, overlaps, transitions) and builds the plan. */
AvePlan  *ave_ic_edit_to_plan    (AveIcEdit *edit, GError **error);

AvePlan *ave_ic_read_mlt    (const char *path, AveXmlNode *root, gboolean kdenlive, GError **error);
AvePlan *ave_ic_read_fcpxml (const char *path, AveXmlNode *root, GError **error);
AvePlan *ave_ic_read_xmeml  (const char *path, AveXmlNode *root, GError **error);
AvePlan *ave_ic_read_otio   (const char *path, GError **error);
AvePlan *ave_ic_read_edl    (const char *path, const char *data, GError **error);

G_END_DECLS
