#define G_LOG_DOMAIN "ave-json-read"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

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

  if (format->document != NULL)
    g_set_error (error, format->domain (), format->code, "%s: %s: %s", format->document, path, detail);
  else
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

const char *
ave_json_node_describe (JsonNode *node)
{
  GType type;

  if (node == NULL)
    return "nothing";
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      break;
    }
  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return "a string";
  if (type == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node) ? "true" : "false";
  return "a number";
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

/* The one check every number read goes through: json-glib reads 1e999 as
 * infinity, and nothing downstream (durations, casts to integers, the
 * files written back) can take it. */
static gboolean
check_number (const AveJsonFormat *format,
              const char          *path,
              double               value,
              double               min,
              double               max,
              GError             **error)
{
  if (!isfinite (value) || fabs (value) > AVE_JSON_MAX_MAGNITUDE)
    {
      ave_json_set_invalid (format, error, path, "must be a finite number of at most %g in size (got %g)",
                            AVE_JSON_MAX_MAGNITUDE, value);
      return FALSE;
    }
  if (value < min && min == 0.0)
    {
      ave_json_set_invalid (format, error, path, "must not be negative (%.3f)", value);
      return FALSE;
    }
  if (value < min || value > max)
    {
      ave_json_set_invalid (format, error, path, "must be from %g to %g (got %g)", min, max, value);
      return FALSE;
    }
  return TRUE;
}

gboolean
ave_json_node_get_number (const AveJsonFormat *format,
                          JsonNode            *node,
                          const char          *path,
                          double               min,
                          double               max,
                          double              *out,
                          GError             **error)
{
  double value;

  if (!ave_json_node_is_number (node))
    {
      ave_json_set_invalid (format, error, path, "expected a number, found %s", ave_json_node_describe (node));
      return FALSE;
    }
  value = json_node_get_double (node);
  if (!check_number (format, path, value, min, max, error))
    return FALSE;
  *out = value;
  return TRUE;
}

gboolean
ave_json_read_number_in (const AveJsonFormat *format,
                         JsonObject          *object,
                         const char          *parent,
                         const char          *member,
                         gboolean             required,
                         double               fallback,
                         double               min,
                         double               max,
                         double              *out,
                         GError             **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *path = NULL;

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
  path = ave_json_member_path (parent, member);
  return ave_json_node_get_number (format, node, path, min, max, out, error);
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
  return ave_json_read_number_in (format, object, parent, member, required, fallback,
                                  -AVE_JSON_MAX_MAGNITUDE, AVE_JSON_MAX_MAGNITUDE, out, error);
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
  /* In range (ave_json_read_number checked the magnitude): the cast is defined. */
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
      g_autofree char *path = ave_json_member_path (parent, member);

      ave_json_set_invalid (format, error, path, "expected true or false, found %s", ave_json_node_describe (node));
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

const char *
ave_json_node_get_string (const AveJsonFormat *format,
                          JsonNode            *node,
                          const char          *path,
                          guint                max_chars,
                          GError             **error)
{
  const char *value;
  glong n_chars;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      ave_json_set_invalid (format, error, path, "expected a string, found %s", ave_json_node_describe (node));
      return NULL;
    }
  value = json_node_get_string (node);
  /* json-glib has checked the UTF-8; counting stops early on huge strings. */
  n_chars = g_utf8_strlen (value, (gssize) MIN (strlen (value), (gsize) max_chars * 4 + 4));
  if (n_chars > (glong) max_chars)
    {
      ave_json_set_invalid (format, error, path, "too long (more than %u characters); shorten it", max_chars);
      return NULL;
    }
  return value;
}

gboolean
ave_json_read_string_max (const AveJsonFormat *format,
                          JsonObject          *object,
                          const char          *parent,
                          const char          *member,
                          guint                max_chars,
                          char               **out,
                          GError             **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *path = NULL;
  const char *value;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  path = ave_json_member_path (parent, member);
  value = ave_json_node_get_string (format, node, path, max_chars, error);
  if (value == NULL)
    return FALSE;
  *out = g_strdup (value);
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
  return ave_json_read_string_max (format, object, parent, member, AVE_JSON_MAX_STRING_CHARS, out, error);
}

gboolean
ave_json_read_array_in (const AveJsonFormat *format,
                        JsonObject          *object,
                        const char          *parent,
                        const char          *member,
                        guint                max_length,
                        JsonArray          **out,
                        GError             **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *path = NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  path = ave_json_member_path (parent, member);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      ave_json_set_invalid (format, error, path, "expected an array, found %s", ave_json_node_describe (node));
      return FALSE;
    }
  if (json_array_get_length (json_node_get_array (node)) > max_length)
    {
      ave_json_set_invalid (format, error, path, "too many elements (%u; at most %u)",
                            json_array_get_length (json_node_get_array (node)), max_length);
      return FALSE;
    }
  *out = json_node_get_array (node);
  return TRUE;
}

gboolean
ave_json_read_array_max (const AveJsonFormat *format,
                         JsonObject          *object,
                         const char          *member,
                         guint                max_length,
                         JsonArray          **out,
                         GError             **error)
{
  return ave_json_read_array_in (format, object, NULL, member, max_length, out, error);
}

gboolean
ave_json_read_array (const AveJsonFormat *format,
                     JsonObject          *object,
                     const char          *member,
                     JsonArray          **out,
                     GError             **error)
{
  return ave_json_read_array_max (format, object, member, AVE_JSON_MAX_ARRAY_LENGTH, out, error);
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
      ave_json_set_invalid (format, error, path, "expected an object, found %s", ave_json_node_describe (node));
      return NULL;
    }
  return json_node_get_object (node);
}

/* The deepest nesting of arrays and objects in `data`, counting only
 * brackets outside strings; stops counting past `limit`. */
static guint
nesting_depth (const char *data,
               gsize       length,
               guint       limit)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          /* MAX evaluates its arguments twice: no ++ inside it. */
          depth++;
          deepest = MAX (deepest, depth);
          if (deepest > limit)
            break;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return deepest;
}

gboolean
ave_json_load_file (const AveJsonFormat *format,
                    JsonParser          *parser,
                    const char          *path,
                    gsize                max_bytes,
                    GError             **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  struct stat st;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not open %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, format->domain (), format->code,
                   "%s is not a regular file; name the JSON file itself", path);
      return FALSE;
    }
  if ((guint64) st.st_size > (guint64) max_bytes)
    {
      close (fd);
      g_set_error (error, format->domain (), format->code,
                   "%s is %.1f MiB, more than the %.0f MiB such a file may be; is it the right file?",
                   path, st.st_size / 1048576.0, max_bytes / 1048576.0);
      return FALSE;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, error);
  close (fd);
  if (mapped == NULL)
    return FALSE;

  if (nesting_depth (g_mapped_file_get_contents (mapped), g_mapped_file_get_length (mapped),
                     AVE_JSON_MAX_DEPTH) > AVE_JSON_MAX_DEPTH)
    {
      g_set_error (error, format->domain (), format->code,
                   "%s nests arrays and objects more than %d deep; it is not a file the engine wrote",
                   path, AVE_JSON_MAX_DEPTH);
      return FALSE;
    }
  /* An empty file maps to no contents at all. */
  if (!json_parser_load_from_data (parser,
                                   g_mapped_file_get_length (mapped) > 0
                                   ? g_mapped_file_get_contents (mapped) : "",
                                   (gssize) g_mapped_file_get_length (mapped), error))
    {
      /* json-glib says "<data>:LINE:COLUMN: …"; the user needs the file. */
      if (error != NULL && *error != NULL && g_str_has_prefix ((*error)->message, "<data>"))
        {
          char *message = g_strconcat (path, (*error)->message + strlen ("<data>"), NULL);

          g_free ((*error)->message);
          (*error)->message = message;
        }
      return FALSE;
    }
  return TRUE;
}
