/* ave-interchange.h — the edit plan in other editors' formats, and back.
 *
 * Export writes an AvePlan as MLT XML (Shotcut), a Kdenlive project,
 * FCPXML 1.10 (Final Cut Pro, Resolve), xmeml 5 (Premiere, "FCP7 XML"),
 * OpenTimelineIO JSON or a CMX 3600 EDL; import reads any of them (told
 * by content, not by name) back into a plan of one source.  Every time is
 * a whole number of frames of the source's rate, held as a rational, so a
 * 3-hour source at 29.97 fps does not drift.  docs/interchange.md says
 * what each format keeps and drops.
 */
#pragma once

#include <glib.h>

#include "core/ave-settings.h"
#include "director/ave-plan.h"
#include "media/ave-media.h"
#include "analysis/ave-analysis.h"

G_BEGIN_DECLS

#define AVE_INTERCHANGE_ERROR (ave_interchange_error_quark ())
GQuark ave_interchange_error_quark (void);

typedef enum {
  AVE_INTERCHANGE_ERROR_UNKNOWN_FORMAT,  /* not a format we read, or a format name we do not know */
  AVE_INTERCHANGE_ERROR_INVALID,         /* a required element or attribute is missing or wrong */
  AVE_INTERCHANGE_ERROR_RATE,            /* the frame rate cannot be expressed in the format */
  AVE_INTERCHANGE_ERROR_OVERLAP,         /* clips overlap without a transition */
  AVE_INTERCHANGE_ERROR_SOURCES,         /* more than one source, or none */
} AveInterchangeError;

/* The same numbers as the settings' AveExportFormat, whose names --export
 * takes (core/ave-settings.h), plus plan.json for reading. */
typedef enum {
  AVE_INTERCHANGE_MLT = AVE_EXPORT_MLT,
  AVE_INTERCHANGE_KDENLIVE = AVE_EXPORT_KDENLIVE,
  AVE_INTERCHANGE_FCPXML = AVE_EXPORT_FCPXML,
  AVE_INTERCHANGE_XMEML = AVE_EXPORT_XMEML,
  AVE_INTERCHANGE_OTIO = AVE_EXPORT_OTIO,
  AVE_INTERCHANGE_EDL = AVE_EXPORT_EDL,
  AVE_INTERCHANGE_N_FORMATS = AVE_N_EXPORT_FORMATS,
  AVE_INTERCHANGE_PLAN_JSON = AVE_INTERCHANGE_N_FORMATS,  /* import only: our own plan.json */
} AveInterchangeFormat;

typedef enum {
  AVE_EXPORT_PATHS_ABSOLUTE,
  AVE_EXPORT_PATHS_RELATIVE,   /* relative to the folder of the exported file */
} AveExportPaths;

/* "mlt", "kdenlive", "fcpxml", "xmeml", "otio", "edl". */
const char *ave_interchange_format_name      (AveInterchangeFormat format);
/* The file name an export gets beside final.mp4: "edit.mlt" ... "edit.xml" (xmeml). */
const char *ave_interchange_format_file_name (AveInterchangeFormat format);
gboolean    ave_interchange_format_from_name (const char *name, AveInterchangeFormat *format);
/* "mlt,edl" → a bit per format (1 << format); "" and "none" give 0.
 * Fails (AVE_INTERCHANGE_ERROR_UNKNOWN_FORMAT) naming the unknown word. */
gboolean    ave_interchange_parse_format_list (const char *list, guint *mask, GError **error);

/* The export of `plan` as text.  `media` is the probed source (its real
 * duration, frame rate, size and audio layout go into the media
 * reference); `export_path` is where the text will be written: with
 * AVE_EXPORT_PATHS_RELATIVE the source is named relative to its folder.
 * `analysis` (nullable) adds the cut filler words as markers.  Fails with
 * AVE_INTERCHANGE_ERROR_RATE when the format cannot express the source's
 * frame rate. */
char       *ave_interchange_export           (AvePlan             *plan,
                                              const AveMediaInfo  *media,
                                              AveAnalysis         *analysis,
                                              AveInterchangeFormat format,
                                              const char          *export_path,
                                              AveExportPaths       paths,
                                              GError             **error);
/* Whether `format` can hold the timeline of `media` (its frame rate):
 * what the export would refuse with AVE_INTERCHANGE_ERROR_RATE, checked
 * before a run spends its time rendering. */
gboolean    ave_interchange_check_media      (const AveMediaInfo  *media,
                                              AveInterchangeFormat format,
                                              GError             **error);
/* The same, written to `path` (a temporary file renamed into place: a
 * failed export never leaves half a file). */
gboolean    ave_interchange_export_file      (AvePlan             *plan,
                                              const AveMediaInfo  *media,
                                              AveAnalysis         *analysis,
                                              AveInterchangeFormat format,
                                              const char          *path,
                                              AveExportPaths       paths,
                                              GError             **error);

/* Which format `data` is, told by its content (the XML root element and
 * its attributes, the OTIO schema name, an EDL's TITLE/FCM/event lines, a
 * plan.json's "version"); FALSE when it is none of them. */
gboolean    ave_interchange_sniff            (const char          *data,
                                              gsize                length,
                                              AveInterchangeFormat *format);

/* Reads an edit of one source in any of the formats (or a plan.json) into
 * a plan whose source is the referenced file (a relative reference is
 * resolved against the folder of `path`).  Segments are the clips in
 * timeline order, crossfades come back as crossfades, chapter markers as
 * chapters.  Refuses (AVE_INTERCHANGE_ERROR_*) an unknown format, clips of
 * more than one source, clips that overlap without a transition and rates
 * that are not frame rates.  The caller checks that the source is its
 * input (ave_plan_check_source). */
AvePlan    *ave_interchange_import           (const char          *path,
                                              GError             **error);

G_END_DECLS
