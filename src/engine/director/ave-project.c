#define G_LOG_DOMAIN "ave-project"

#include "config.h"

#include <glib/gi18n.h>

#include "ave-project.h"
#include "core/ave-error.h"
#include "core/ave-files.h"
#include "core/ave-json-doc.h"
#include "core/ave-json-read.h"

G_DEFINE_QUARK (ave-project-error-quark, ave_project_error)

static const AveJsonDocType project_document = {
  .kind = "project",
  .file_noun = "a project file",
  .format = { ave_project_error_quark, AVE_PROJECT_ERROR_INVALID, "a number", NULL },
  .parse_code = AVE_PROJECT_ERROR_PARSE,
  .version_code = AVE_PROJECT_ERROR_VERSION,
  .newest_version = AVE_PROJECT_VERSION,
  /* The plan inside is the bulk of a project: the same cap. */
  .max_bytes = AVE_PLAN_MAX_FILE_BYTES,
  .too_new_advice = "update AI Video Editor to open it",
};

AveProject *
ave_project_new (const char *source, AvePlan *plan, const char *output_folder, const char *analysis_path)
{
  AveProject *self = g_new0 (AveProject, 1);

  self->source = g_canonicalize_filename (source, NULL);
  self->plan = plan != NULL ? g_object_ref (plan) : NULL;
  self->output_folder = output_folder != NULL ? g_canonicalize_filename (output_folder, NULL) : NULL;
  self->analysis_path = analysis_path != NULL ? g_canonicalize_filename (analysis_path, NULL) : NULL;
  return self;
}

void
ave_project_free (AveProject *self)
{
  if (self == NULL)
    return;
  g_free (self->source);
  g_clear_object (&self->plan);
  g_free (self->output_folder);
  g_free (self->analysis_path);
  g_free (self);
}

char *
ave_project_relative_path (const char *base_dir, const char *target)
{
  g_auto(GStrv) base = NULL;
  g_auto(GStrv) dest = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  guint common = 0, n_base, n_dest;

  g_return_val_if_fail (base_dir != NULL && target != NULL, NULL);
  if (!g_path_is_absolute (base_dir) || !g_path_is_absolute (target))
    return NULL;

  {
    g_autofree char *b = g_canonicalize_filename (base_dir, NULL);
    g_autofree char *t = g_canonicalize_filename (target, NULL);
    base = g_strsplit (b, G_DIR_SEPARATOR_S, -1);
    dest = g_strsplit (t, G_DIR_SEPARATOR_S, -1);
  }
  /* "/" splits into {"", ""}: drop empty components so the root compares. */
  n_base = g_strv_length (base);
  n_dest = g_strv_length (dest);
  if (n_base > 0 && base[n_base - 1][0] == '\0')
    n_base--;
  if (n_dest > 0 && dest[n_dest - 1][0] == '\0')
    n_dest--;

  while (common < n_base && common < n_dest && g_str_equal (base[common], dest[common]))
    common++;
  /* Only the root in common: an absolute path says it better. */
  if (common <= 1)
    return NULL;

  for (guint i = common; i < n_base; i++)
    g_string_append (out, ".." G_DIR_SEPARATOR_S);
  for (guint i = common; i < n_dest; i++)
    {
      g_string_append (out, dest[i]);
      if (i + 1 < n_dest)
        g_string_append_c (out, G_DIR_SEPARATOR);
    }
  if (out->len == 0)
    g_string_append_c (out, '.');
  else if (out->str[out->len - 1] == G_DIR_SEPARATOR)
    g_string_truncate (out, out->len - 1);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
stored_path (const char *base_dir, const char *path)
{
  char *rel = ave_project_relative_path (base_dir, path);

  return rel != NULL ? rel : g_strdup (path);
}

gboolean
ave_project_save (const AveProject *self, const char *path, GError **error)
{
  g_autofree char *abs = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *source = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonNode *plan_node;
  g_autofree char *text = NULL;

  g_return_val_if_fail (self != NULL && self->plan != NULL, FALSE);

  /* Saving over the video (or the analysis) the project is about would
   * destroy it. */
  if (ave_file_is_same (path, self->source)
      || (self->analysis_path != NULL && ave_file_is_same (path, self->analysis_path)))
    {
      g_set_error (error, AVE_OUTPUT_ERROR, AVE_OUTPUT_ERROR_IS_INPUT,
                   _("Could not save the project: %s is the project's own video or analysis; choose another name"),
                   path);
      return FALSE;
    }
  abs = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (abs);
  source = stored_path (dir, self->source);

  plan_node = ave_plan_to_json (self->plan);
  /* The plan names its source too: keep the two the same, and movable. */
  if (JSON_NODE_HOLDS_OBJECT (plan_node))
    json_object_set_string_member (json_node_get_object (plan_node), "source", source);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, AVE_PROJECT_VERSION);
  json_builder_set_member_name (builder, "source");
  json_builder_add_string_value (builder, source);
  json_builder_set_member_name (builder, "plan");
  json_builder_add_value (builder, plan_node);
  if (self->output_folder != NULL)
    {
      g_autofree char *out = stored_path (dir, self->output_folder);
      json_builder_set_member_name (builder, "output_folder");
      json_builder_add_string_value (builder, out);
    }
  if (self->analysis_path != NULL)
    {
      g_autofree char *analysis = stored_path (dir, self->analysis_path);
      json_builder_set_member_name (builder, "analysis");
      json_builder_add_string_value (builder, analysis);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);

  /* g_file_set_contents writes a temporary file and renames it. */
  if (!g_file_set_contents (abs, text, -1, error))
    {
      g_prefix_error (error, _("Could not save the project: "));
      return FALSE;
    }
  return TRUE;
}

static char *
resolved_path (const char *base_dir, const char *stored)
{
  return g_canonicalize_filename (stored, base_dir);
}

/* A path member: a non-empty string, or NULL with no error when absent
 * and not `required`.  Errors name the file (the document's format does). */
static const char *
get_path_member (AveJsonDoc  *document,
                 const char   *name,
                 gboolean      required,
                 GError      **error)
{
  const AveJsonFormat *format = ave_json_doc_get_format (document);
  JsonNode *node = json_object_get_member (ave_json_doc_get_root (document), name);
  const char *value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        ave_json_set_invalid (format, error, name, _("“%s” is missing (expected a path)"), name);
      return NULL;
    }
  value = ave_json_node_get_string (format, node, name, AVE_PLAN_MAX_PATH_CHARS, error);
  if (value != NULL && *value == '\0')
    {
      ave_json_set_invalid (format, error, name, _("“%s” must be a non-empty path"), name);
      return NULL;
    }
  return value;
}

AveProject *
ave_project_load (const char *path, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  g_autofree char *dir = g_path_get_dirname (abs);
  g_autoptr(AveJsonDoc) document = NULL;
  g_autofree char *source = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) plan_node = NULL;
  g_autofree char *output_folder = NULL;
  g_autofree char *analysis = NULL;
  JsonNode *node;
  const char *str;

  /* The messages name the file as the user gave it, not its absolute path. */
  document = ave_json_doc_load (&project_document, path, &local_error);
  if (document == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("%s: no such project file"), path);
      else if (local_error->domain == AVE_PROJECT_ERROR)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_PARSE,
                     _("%s is not a project file: %s"), path, local_error->message);
      return NULL;
    }

  if ((str = get_path_member (document, "source", TRUE, error)) == NULL)
    return NULL;
  source = resolved_path (dir, str);

  node = json_object_get_member (ave_json_doc_get_root (document), "plan");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_INVALID,
                   _("%s: the member “plan” is missing or not an object"), path);
      return NULL;
    }
  /* The plan's own "source" is stored relative like ours: point it at the
   * resolved file before the plan is built. */
  plan_node = json_node_copy (node);
  json_object_set_string_member (json_node_get_object (plan_node), "source", source);
  plan = ave_plan_new_from_json (plan_node, &local_error);
  if (plan == NULL)
    {
      g_set_error (error, AVE_PROJECT_ERROR, AVE_PROJECT_ERROR_INVALID,
                   _("%s: plan: %s"), path, local_error->message);
      return NULL;
    }

  str = get_path_member (document, "output_folder", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (str != NULL)
    output_folder = resolved_path (dir, str);

  str = get_path_member (document, "analysis", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (str != NULL)
    analysis = resolved_path (dir, str);

  return ave_project_new (source, plan, output_folder, analysis);
}
