/* ave-json-read.h — reading hand-editable JSON (analysis.json, plan.json)
 * with errors that name the field by its path ("segments[2].end") and say
 * what was expected, in the caller's error domain.
 *
 * Each file format declares one AveJsonFormat and passes it to every call.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  GQuark      (*domain) (void);  /* e.g. ave_plan_error_quark */
  int           code;            /* e.g. AVE_PLAN_ERROR_INVALID */
  const char   *number_hint;     /* what a missing number is: "a number", "a number of seconds" */
} AveJsonFormat;

/* "PATH: detail" in the format's domain. */
void     ave_json_set_invalid  (const AveJsonFormat *format,
                                GError             **error,
                                const char          *path,
                                const char          *detail_format,
                                ...) G_GNUC_PRINTF (4, 5);
/* "parent.member", or "member" when parent is NULL or empty. */
char    *ave_json_member_path  (const char *parent,
                                const char *member);
gboolean ave_json_node_is_number (JsonNode *node);

/* Each reads one member of `object` (`parent` is its path, for errors).
 * Absent members give the fallback (or fail when `required`); present
 * members of the wrong type fail. */
gboolean ave_json_read_number  (const AveJsonFormat *format, JsonObject *object,
                                const char *parent, const char *member,
                                gboolean required, double fallback,
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
/* A new string, or NULL for an absent or null member. */
gboolean ave_json_read_string  (const AveJsonFormat *format, JsonObject *object,
                                const char *parent, const char *member,
                                char **out, GError **error);
/* NULL with no error when absent or null. */
gboolean ave_json_read_array   (const AveJsonFormat *format, JsonObject *object,
                                const char *member, JsonArray **out, GError **error);
/* Element `index` of `array`, which must be an object ("PATH: expected an object"). */
JsonObject *ave_json_array_object (const AveJsonFormat *format, JsonArray *array,
                                   guint index, const char *path, GError **error);

G_END_DECLS
