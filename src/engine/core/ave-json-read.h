/* ave-json-read.h — reading hand-editable JSON (analysis.json, plan.json,
 * *.aveproj) with errors that name the field by its path
 * ("segments[2].end") and say what was expected, in the caller's error
 * domain.
 *
 * Each file format declares one AveJsonFormat and passes it to every call.
 * The limits every such file shares live here, in one place: a file over
 * its format's size cap or nested deeper than AVE_JSON_MAX_DEPTH is
 * refused before it is parsed; every number read must be finite; every
 * string and array is capped.  The formats document them
 * (docs/plan-schema.md and docs/analysis-schema.md, "Limits").
 *
 * Versioned documents (analysis.json, plan.json, projects, batch.json) are
 * opened with core/ave-json-doc.h, which checks their header and gives
 * the format these calls take, one that names the file in every error.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* json-glib's parser recurses once per level: a file of nested brackets
 * must not exhaust the stack.  The deepest file the engine writes has 4. */
#define AVE_JSON_MAX_DEPTH        64
/* Default caps for members read without a tighter one. */
#define AVE_JSON_MAX_STRING_CHARS 4096
#define AVE_JSON_MAX_ARRAY_LENGTH 200000
/* Larger magnitudes lose whole-number precision in a double; no count,
 * size or time the formats hold comes near it. */
#define AVE_JSON_MAX_MAGNITUDE    9007199254740992.0   /* 2^53 */

typedef struct
{
  GQuark      (*domain) (void);  /* e.g. ave_plan_error_quark */
  int           code;            /* e.g. AVE_PLAN_ERROR_INVALID */
  const char   *number_hint;     /* what a missing number is: "a number", "a number of seconds" */
  /* The file being read, named first in every error ("plan.json: segments[3].start: …");
   * NULL when the JSON came from elsewhere (then errors start at the path).
   * AveJsonDoc fills it in: a format declared by a reader leaves it NULL. */
  const char   *document;
} AveJsonFormat;

/* "DOCUMENT: PATH: detail" (or "PATH: detail" without a document) in the
 * format's domain. */
void     ave_json_set_invalid  (const AveJsonFormat *format,
                                GError             **error,
                                const char          *path,
                                const char          *detail_format,
                                ...) G_GNUC_PRINTF (4, 5);
/* "parent.member", or "member" when parent is NULL or empty. */
char    *ave_json_member_path  (const char *parent,
                                const char *member);
gboolean ave_json_node_is_number (JsonNode *node);
/* What a node holds, for "expected a number, found a string": "a string",
 * "a number", "true", "false", "null", "an array", "an object", or
 * "nothing" for NULL. */
const char *ave_json_node_describe (JsonNode *node);

/* Parses the file at `path` into `parser`.  A file that cannot be opened
 * gives its G_FILE_ERROR; one that is not a regular file, is larger than
 * `max_bytes` or nests deeper than AVE_JSON_MAX_DEPTH gives the format's
 * error ("PATH: ..."); a syntax error gives json-glib's JSON_PARSER_ERROR
 * (its message has the line and column). */
gboolean ave_json_load_file    (const AveJsonFormat *format,
                                JsonParser          *parser,
                                const char          *path,
                                gsize                max_bytes,
                                GError             **error);

/* A number node (`path` names it) that is finite and within [min, max]. */
gboolean ave_json_node_get_number (const AveJsonFormat *format, JsonNode *node,
                                   const char *path, double min, double max,
                                   double *out, GError **error);

/* Each reads one member of `object` (`parent` is its path, for errors).
 * Absent members give the fallback (or fail when `required`); present
 * members of the wrong type fail, saying what they hold ("expected a
 * number, found a string").  Numbers must be finite and no larger in
 * magnitude than AVE_JSON_MAX_MAGNITUDE; _in variants also check a range. */
gboolean ave_json_read_number  (const AveJsonFormat *format, JsonObject *object,
                                const char *parent, const char *member,
                                gboolean required, double fallback,
                                double *out, GError **error);
gboolean ave_json_read_number_in (const AveJsonFormat *format, JsonObject *object,
                                  const char *parent, const char *member,
                                  gboolean required, double fallback,
                                  double min, double max,
                                  double *out, GError **error);
gboolean ave_json_read_int     (const AveJsonFormat *format, JsonObject *object,
                                const char *parent, const char *member,
                                gint64 fallback, gint64 *out, GError **error);
gboolean ave_json_read_int32   (const AveJsonFormat *format, JsonObject *object,
                                const char *parent, const char *member,
                                int *out, GError **error);
gboolean ave_json_read_bool    (const AveJsonFormat *format, JsonObject *object,
                                const char *parent, const char *member,
                                gboolean fallback, gboolean *out, GError **error);
/* A new string, or NULL for an absent or null member; at most
 * AVE_JSON_MAX_STRING_CHARS characters (_max: at most `max_chars`). */
gboolean ave_json_read_string  (const AveJsonFormat *format, JsonObject *object,
                                const char *parent, const char *member,
                                char **out, GError **error);
gboolean ave_json_read_string_max (const AveJsonFormat *format, JsonObject *object,
                                   const char *parent, const char *member,
                                   guint max_chars, char **out, GError **error);
/* A string node (`path` names it) of at most `max_chars` characters;
 * borrowed from the node. */
const char *ave_json_node_get_string (const AveJsonFormat *format, JsonNode *node,
                                      const char *path, guint max_chars, GError **error);
/* NULL with no error when absent or null; at most AVE_JSON_MAX_ARRAY_LENGTH
 * elements (_max: at most `max_length`). */
gboolean ave_json_read_array   (const AveJsonFormat *format, JsonObject *object,
                                const char *member, JsonArray **out, GError **error);
gboolean ave_json_read_array_max (const AveJsonFormat *format, JsonObject *object,
                                  const char *member, guint max_length,
                                  JsonArray **out, GError **error);
/* The same for an array inside `parent` ("metadata.tags"). */
gboolean ave_json_read_array_in (const AveJsonFormat *format, JsonObject *object,
                                 const char *parent, const char *member, guint max_length,
                                 JsonArray **out, GError **error);
/* Element `index` of `array`, which must be an object ("PATH: expected an object"). */
JsonObject *ave_json_array_object (const AveJsonFormat *format, JsonArray *array,
                                   guint index, const char *path, GError **error);

G_END_DECLS
