#define G_LOG_DOMAIN "ave-json-doc"

#include "config.h"

#include <math.h>

#include "ave-json-doc.h"

struct _AveJsonDoc
{
  const AveJsonDocType *type;
  AveJsonFormat          format;   /* type->format naming `name` */
  char                  *name;
  JsonNode              *root_node;
  gint64                 version;
};

void
ave_json_doc_free (AveJsonDoc *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_clear_pointer (&self->root_node, json_node_unref);
  g_free (self);
}

/* The header every document shares: an object whose "version" is a whole
 * number this build reads.  The errors are the ones the readers of
 * analysis.json and plan.json each used to raise, now raised once. */
static gboolean
check_header (AveJsonDoc  *self,
              gboolean      from_file,
              GError      **error)
{
  const AveJsonDocType *type = self->type;
  JsonNode *node;
  double version;

  if (self->root_node == NULL || !JSON_NODE_HOLDS_OBJECT (self->root_node))
    {
      /* A file that holds something else is not this kind of file at all;
       * JSON handed over by the program is a wrong value. */
      if (self->name != NULL)
        g_set_error (error, type->format.domain (), from_file ? type->parse_code : type->format.code,
                     "%s is not %s: it holds no JSON object", self->name, type->file_noun);
      else
        g_set_error (error, type->format.domain (), type->format.code,
                     "The %s is not a JSON object with \"version\"", type->kind);
      return FALSE;
    }

  node = json_object_get_member (json_node_get_object (self->root_node), "version");
  if (node == NULL)
    {
      ave_json_set_invalid (&self->format, error, "version", "missing (expected %" G_GINT64_FORMAT ")",
                            type->newest_version);
      return FALSE;
    }
  if (!ave_json_node_get_number (&self->format, node, "version", -AVE_JSON_MAX_MAGNITUDE,
                                 AVE_JSON_MAX_MAGNITUDE, &version, error))
    return FALSE;
  if (version != floor (version) || version < 1)
    {
      ave_json_set_invalid (&self->format, error, "version", "expected a whole number from 1 (got %g)", version);
      return FALSE;
    }
  if (version > (double) type->newest_version)
    {
      g_autofree char *understood = type->newest_version == 1
                                    ? g_strdup ("version 1")
                                    : g_strdup_printf ("versions 1 to %" G_GINT64_FORMAT, type->newest_version);
      g_autofree char *detail = g_strdup_printf ("%s version %g is newer than this program understands "
                                                 "(it reads %s); %s",
                                                 type->kind, version, understood, type->too_new_advice);

      if (self->name != NULL)
        g_set_error (error, type->format.domain (), type->version_code, "%s: version: %s", self->name, detail);
      else
        g_set_error (error, type->format.domain (), type->version_code, "version: %s", detail);
      return FALSE;
    }
  self->version = (gint64) version;
  return TRUE;
}

static AveJsonDoc *
document_new (const AveJsonDocType *type,
              JsonNode              *node,
              const char            *name,
              gboolean               from_file,
              GError               **error)
{
  g_autoptr(AveJsonDoc) self = g_new0 (AveJsonDoc, 1);

  self->type = type;
  self->name = g_strdup (name);
  self->format = type->format;
  self->format.document = self->name;
  self->root_node = node != NULL ? json_node_ref (node) : NULL;
  if (!check_header (self, from_file, error))
    return NULL;
  return g_steal_pointer (&self);
}

AveJsonDoc *
ave_json_doc_new (const AveJsonDocType *type,
                  JsonNode              *node,
                  const char            *name,
                  GError               **error)
{
  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return document_new (type, node, name, FALSE, error);
}

AveJsonDoc *
ave_json_doc_load (const AveJsonDocType *type,
                   const char            *path,
                   GError               **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!ave_json_load_file (&type->format, parser, path, type->max_bytes, &local_error))
    {
      if (local_error->domain != JSON_PARSER_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        /* json-glib's message carries the line and column of the mistake. */
        g_set_error (error, type->format.domain (), type->parse_code,
                     "%s is not %s, it is not valid JSON: %s", path, type->file_noun, local_error->message);
      return NULL;
    }
  return document_new (type, json_parser_get_root (parser), path, TRUE, error);
}

JsonObject *
ave_json_doc_get_root (AveJsonDoc *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return json_node_get_object (self->root_node);
}

gint64
ave_json_doc_get_version (AveJsonDoc *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->version;
}

const char *
ave_json_doc_get_name (AveJsonDoc *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

const AveJsonFormat *
ave_json_doc_get_format (AveJsonDoc *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return &self->format;
}
