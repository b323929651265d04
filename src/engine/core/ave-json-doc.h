/* ave-json-doc.h — one reader for the engine's versioned JSON documents:
 * analysis.json, plan.json and project files (*.aveproj).
 *
 * Each kind of document declares one AveJsonDocType: what it is called,
 * its error domain and codes, the newest `version` this build reads and
 * its size cap.  Opening a document (from a file or from JSON already
 * parsed) checks what every such file shares — a JSON object whose
 * "version" is a whole number from 1 up to the newest this build reads —
 * and hands the reader the root object and a format for the type-checked
 * member reads of ave-json-read.h.  When the document is a file, that
 * format names it, so every error the reader raises starts with the file:
 *
 *   /videos/out/talk/plan.json: segments[3].start: expected a number, found a string
 *
 * A version newer than this build reads is refused with the type's version
 * code, naming the file, the version found and the newest understood;
 * every older version is handed to the reader, which reads what that
 * version holds (ave_json_doc_get_version()).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/ave-json-read.h"

G_BEGIN_DECLS

typedef struct
{
  const char    *kind;            /* "plan", "analysis", "project": "plan version 3 is newer …" */
  const char    *file_noun;       /* "a plan file", "an analysis file": "… is not a plan file" */
  AveJsonFormat  format;          /* error domain, code for a wrong member, number hint */
  int            parse_code;      /* a file that is not JSON, or holds no JSON object */
  int            version_code;    /* a version newer than `newest_version` */
  gint64         newest_version;  /* the newest "version" this build reads; every one from 1 is read */
  gsize          max_bytes;       /* larger files are refused unread */
  const char    *too_new_advice;  /* what to do about a newer file: "update AI Video Editor or …" */
} AveJsonDocType;

typedef struct _AveJsonDoc AveJsonDoc;

/* Reads the file at `path` (ave_json_load_file(): size, depth and syntax
 * checked) and checks its header.  A file that cannot be opened gives its
 * G_FILE_ERROR; a syntax error or a file holding no JSON object gives
 * `parse_code`; a missing or malformed version gives the format's code; a
 * newer one gives `version_code`.  Every message names `path`. */
AveJsonDoc         *ave_json_doc_load         (const AveJsonDocType *type,
                                                const char            *path,
                                                GError               **error);
/* The same checks on JSON already parsed (a plan inside a project, a
 * director's answer).  `name`, when not NULL, is put first in every error
 * like a file's path; `node` is referenced, not copied. */
AveJsonDoc         *ave_json_doc_new          (const AveJsonDocType *type,
                                                JsonNode              *node,
                                                const char            *name,
                                                GError               **error);
void                 ave_json_doc_free         (AveJsonDoc *self);

JsonObject          *ave_json_doc_get_root     (AveJsonDoc *self);
/* The version the document declares: 1 … type->newest_version. */
gint64               ave_json_doc_get_version  (AveJsonDoc *self);
/* The path or name given, or NULL. */
const char          *ave_json_doc_get_name     (AveJsonDoc *self);
/* For the ave_json_read_*() calls: the type's format, naming the document. */
const AveJsonFormat *ave_json_doc_get_format   (AveJsonDoc *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveJsonDoc, ave_json_doc_free)

G_END_DECLS
