#define G_LOG_DOMAIN "ave-json-read"

#include "config.h"

#include <math.h>

#include "ave-json-read.h"

void
ave_json_set_invalid (const AveJsonFormat *format,
                      GError             **error,
                      const char          *path,
                      const char          *detail_format,
                      ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, detail_format);
  detail = g_strdup_vprintf (detail_format, args);
  va_end (args);

  g_set_error (error, format->domain (), format->code, "%s: %s", path, detail);
}

char *
ave_json_member_path (const char *parent,
                      const char *member)
{
  if (parent == NULL || *parent == '\0')
    return g_strdup (member);
  return g_strdup_printf ("%s.%s", parent, member);
}

gboolean
ave_json_node_is_number (JsonNode *node)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_DOUBLE || type == G_TYPE_INT64;
}

static void
set_member_invalid (const AveJsonFormat *format,
                    GError             **error,
                    const char          *parent,
                    const char          *member,
                    const char          *detail)
{
  g_autofree char *path = ave_json_member_path (parent, member);

  ave_json_set_invalid (format, error, path, "%s", detail);
}

gboolean
ave_json_read_number (const AveJsonFormat *format,
                      JsonObject          *object,
                      const char          *parent,
                      const char          *member,
                      gboolean             required,
                      double               fallback,
                      double              *out,
                      GError             **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    {
      if (required)
        {
          g_autofree char *detail = g_strdup_printf ("missing (expected %s)", format->number_hint);
          set_member_invalid (format, error, parent, member, detail);
          return FALSE;
        }
      *out = fallback;
      return TRUE;
    }
  if (!ave_json_node_is_number (node))
    {
      set_member_invalid (format, error, parent, member, "expected a number");
      return FALSE;
    }
  *out = json_node_get_double (node);
  return TRUE;
}

gboolean
ave_json_read_int (const AveJsonFormat *format,
                   JsonObject          *object,
                   const char          *parent,
                   const char          *member,
                   gint64               fallback,
                   gint64              *out,
                   GError             **error)
{
  double value;

  if (!ave_json_read_number (format, object, parent, member, FALSE, (double) fallback, &value, error))
    return FALSE;
  if (value != floor (value))
    {
      g_autofree char *path = ave_json_member_path (parent, member);

      ave_json_set_invalid (format, error, path, "expected a whole number, got %g", value);
      return FALSE;
    }
  *out = (gint64) value;
  return TRUE;
}

gboolean
ave_json_read_int32 (const AveJsonFormat *format,
                     JsonObject          *object,
                     const char          *parent,
                     const char          *member,
                     int                 *out,
                     GError             **error)
{
  gint64 value;

  if (!ave_json_read_int (format, object, parent, member, 0, &value, error))
    return FALSE;
  if (value < G_MININT || value > G_MAXINT)
    {
      g_autofree char *path = ave_json_member_path (parent, member);

      ave_json_set_invalid (format, error, path, "out of range (%" G_GINT64_FORMAT ")", value);
      return FALSE;
    }
  *out = (int) value;
  return TRUE;
}

gboolean
ave_json_read_bool (const AveJsonFormat *format,
                    JsonObject          *object,
                    const char          *parent,
                    const char          *member,
                    gboolean             fallback,
                    gboolean            *out,
                    GError             **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      set_member_invalid (format, error, parent, member, "expected true or false");
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
ave_json_read_string (const AveJsonFormat *format,
                      JsonObject          *object,
                      const char          *parent,
                      const char          *member,
                      char               **out,
                      GError             **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_member_invalid (format, error, parent, member, "expected a string");
      return FALSE;
    }
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

gboolean
ave_json_read_array (const AveJsonFormat *format,
                     JsonObject          *object,
                     const char          *member,
                     JsonArray          **out,
                     GError             **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      ave_json_set_invalid (format, error, member, "expected an array");
      return FALSE;
    }
  *out = json_node_get_array (node);
  return TRUE;
}

JsonObject *
ave_json_array_object (const AveJsonFormat *format,
                       JsonArray           *array,
                       guint                index,
                       const char          *path,
                       GError             **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ave_json_set_invalid (format, error, path, "expected an object");
      return NULL;
    }
  return json_node_get_object (node);
}
