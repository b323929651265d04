/* ave-json-write.c — see ave-json-write.h. */
#include <math.h>

#include "ave-json-write.h"

void
ave_json_add_double (JsonBuilder *builder,
                     const char  *name,
                     double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, isfinite (value) ? value : 0.0);
}

void
ave_json_add_int (JsonBuilder *builder,
                  const char  *name,
                  gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

void
ave_json_add_bool (JsonBuilder *builder,
                   const char  *name,
                   gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

void
ave_json_add_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}
