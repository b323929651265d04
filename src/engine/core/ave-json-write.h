/* ave-json-write.h — the members every document the engine writes is made
 * of (analysis.json, plan.json): a name and a value, added to an object
 * being built.  JSON has no NaN or infinity: a broken measurement is
 * written as 0 rather than making the whole file unreadable. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void ave_json_add_double (JsonBuilder *builder, const char *name, double value);
void ave_json_add_int    (JsonBuilder *builder, const char *name, gint64 value);
void ave_json_add_bool   (JsonBuilder *builder, const char *name, gboolean value);
/* NULL is written as null. */
void ave_json_add_string (JsonBuilder *builder, const char *name, const char *value);

G_END_DECLS
