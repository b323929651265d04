/* ave-interchange-read.c — what every importer shares: a small XML tree
 * (GMarkup) and the checks that turn the clips read into a plan. */
#define G_LOG_DOMAIN "ave-interchange"

#include "config.h"

#include <string.h>

#include "ave-interchange-private.h"
#include "media/ave-media.h"

/* ------------------------------------------------------------- XML tree */

/* A document nested deeper than this is refused: no editor writes it. */
#define MAX_XML_DEPTH 256

typedef struct
{
  AveXmlNode *root;
  AveXmlNode *current;
  guint       depth;
} XmlBuild;

void
ave_xml_free (AveXmlNode *node)
{
  if (node == NULL)
    return;
  g_free (node->name);
  g_strfreev (node->attr_names);
  g_strfreev (node->attr_values);
  if (node->text != NULL)
    g_string_free (node->text, TRUE);
  if (node->children != NULL)
    g_ptr_array_unref (node->children);
  g_free (node);
}

static void
on_start (GMarkupParseContext *context, const char *name, const char **attr_names,
          const char **attr_values, gpointer user_data, GError **error)
{
  XmlBuild *b = user_data;
  AveXmlNode *node;

  if (++b->depth > MAX_XML_DEPTH)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "elements nested more than %d deep", MAX_XML_DEPTH);
      return;
    }
  /* GMarkup takes elements after the root has closed; an XML document
   * has one root, so such a file is refused. */
  if (b->current == NULL && b->root != NULL)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "element <%s> after the root element has closed", name);
      return;
    }
  node = g_new0 (AveXmlNode, 1);
  node->name = g_strdup (name);
  node->attr_names = g_strdupv ((char **) attr_names);
  node->attr_values = g_strdupv ((char **) attr_values);
  node->text = g_string_new (NULL);
  node->children = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_xml_free);
  node->parent = b->current;
  if (b->current != NULL)
    g_ptr_array_add (b->current->children, node);
  else
    b->root = node;
  b->current = node;
}

static void
on_end (GMarkupParseContext *context, const char *name, gpointer user_data, GError **error)
{
  XmlBuild *b = user_data;
  b->depth--;
  if (b->current != NULL)
    b->current = b->current->parent;
}

static void
on_text (GMarkupParseContext *context, const char *text, gsize length, gpointer user_data, GError **error)
{
  XmlBuild *b = user_data;
  if (b->current != NULL)
    g_string_append_len (b->current->text, text, length);
}

AveXmlNode *
ave_xml_parse (const char *data, gsize length, GError **error)
{
  static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
  XmlBuild b = { 0 };
  GMarkupParseContext *context;
  g_autoptr(GError) markup_error = NULL;
  const char *p = data;
  gboolean ok;

  /* GMarkup does not take a DOCTYPE (xmeml has one): start at the root
   * element, after the prolog. */
  while ((gsize) (p - data) < length)
    {
      while ((gsize) (p - data) < length && g_ascii_isspace (*p))
        p++;
      if ((gsize) (p - data) + 2 <= length && p[0] == '<' && (p[1] == '?' || p[1] == '!'))
        {
          const char *close = strchr (p, '>');
          if (close == NULL)
            break;
          p = close + 1;
          continue;
        }
      break;
    }
  context = g_markup_parse_context_new (&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &b, NULL);
  ok = g_markup_parse_context_parse (context, p, length - (p - data), &markup_error)
    && g_markup_parse_context_end_parse (context, &markup_error);
  g_markup_parse_context_free (context);
  if (!ok || b.root == NULL)
    {
      /* Every importer's refusal is an AVE_INTERCHANGE_ERROR
       * (docs/interchange.md), whatever the parser called it. */
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID, "%s",
                   markup_error != NULL ? markup_error->message : "no root element");
      ave_xml_free (b.root);
      return NULL;
    }
  return b.root;
}

const char *
ave_xml_attr (const AveXmlNode *node, const char *name)
{
  for (guint i = 0; node != NULL && node->attr_names[i] != NULL; i++)
    if (g_str_equal (node->attr_names[i], name))
      return node->attr_values[i];
  return NULL;
}

AveXmlNode *
ave_xml_child (const AveXmlNode *node, const char *name)
{
  for (guint i = 0; node != NULL && i < node->children->len; i++)
    {
      AveXmlNode *child = g_ptr_array_index (node->children, i);
      if (g_str_equal (child->name, name))
        return child;
    }
  return NULL;
}

const char *
ave_xml_child_text (const AveXmlNode *node, const char *name)
{
  AveXmlNode *child = ave_xml_child (node, name);
  if (child == NULL)
    return NULL;
  g_strstrip (child->text->str);
  child->text->len = strlen (child->text->str);
  return child->text->str;
}

AveXmlNode *
ave_xml_find (const AveXmlNode *node, const char *name)
{
  for (guint i = 0; node != NULL && i < node->children->len; i++)
    {
      AveXmlNode *child = g_ptr_array_index (node->children, i);
      AveXmlNode *found;

      if (g_str_equal (child->name, name))
        return child;
      found = ave_xml_find (child, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

const char *
ave_xml_mlt_property (const AveXmlNode *node, const char *name)
{
  for (guint i = 0; node != NULL && i < node->children->len; i++)
    {
      AveXmlNode *child = g_ptr_array_index (node->children, i);
      if (g_str_equal (child->name, "property") && g_strcmp0 (ave_xml_attr (child, "name"), name) == 0)
        return child->text->str;
    }
  return NULL;
}

/* ------------------------------------------------------------- the edit */

static void
marker_clear (gpointer data)
{
  AveIcMarker *m = data;
  g_free (m->name);
  g_free (m->note);
}

void
ave_ic_edit_init (AveIcEdit *edit, const char *format_name, const char *path)
{
  memset (edit, 0, sizeof *edit);
  edit->format_name = format_name;
  edit->path = path;
  edit->clips = g_array_new (FALSE, TRUE, sizeof (AveIcClip));
  edit->markers = g_array_new (FALSE, TRUE, sizeof (AveIcMarker));
  g_array_set_clear_func (edit->markers, marker_clear);
}

void
ave_ic_edit_clear (AveIcEdit *edit)
{
  g_clear_pointer (&edit->source, g_free);
  g_clear_pointer (&edit->clips, g_array_unref);
  g_clear_pointer (&edit->markers, g_array_unref);
}

/* A reference as a local path: file:// URLs decoded, relative paths
 * against the folder of the file read. */
static char *
resolve_reference (const char *path, const char *reference)
{
  g_autofree char *local = NULL;
  g_autofree char *abs_path = g_canonicalize_filename (path, NULL);
  g_autofree char *folder = g_path_get_dirname (abs_path);

  if (g_str_has_prefix (reference, "file:"))
    {
      local = g_filename_from_uri (reference, NULL, NULL);
      if (local == NULL)
        {
          /* "file:relative/name" or a URL with no host part. */
          const char *rest = reference + strlen ("file:");
          while (rest[0] == '/' && rest[1] == '/' && rest[2] == '/')
            rest += 2;
          local = g_uri_unescape_string (rest, NULL);
        }
    }
  else if (strchr (reference, '%') != NULL && !g_file_test (reference, G_FILE_TEST_EXISTS))
    local = g_uri_unescape_string (reference, NULL);
  if (local == NULL)
    local = g_strdup (reference);
  return g_canonicalize_filename (local, folder);
}

gboolean
ave_ic_edit_set_source (AveIcEdit *edit, const char *reference, GError **error)
{
  g_autofree char *resolved = NULL;

  if (reference == NULL || *reference == '\0')
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                   "%s: a clip names no media file", edit->path);
      return FALSE;
    }
  resolved = resolve_reference (edit->path, reference);
  if (edit->source != NULL && !g_str_equal (edit->source, resolved))
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_SOURCES,
                   "%s: the edit uses more than one media file (%s and %s); "
                   "this program renders an edit of one recording: keep the clips of one file",
                   edit->path, edit->source, resolved);
      return FALSE;
    }
  g_free (edit->source);
  edit->source = g_steal_pointer (&resolved);
  return TRUE;
}

void
ave_ic_edit_add_chapter (AveIcEdit *edit, gint64 frame, const char *name)
{
  AveIcMarker m = { AVE_IC_MARKER_CHAPTER, frame, g_strdup (name != NULL && *name != '\0' ? name : "Chapter"), NULL };
  g_array_append_val (edit->markers, m);
}

AvePlan *
ave_ic_edit_to_plan (AveIcEdit *edit, GError **error)
{
  g_autoptr(AvePlan) plan = NULL;
  gint64 prev_end = 0, max_out = 0;
  double source_duration;

  if (edit->clips->len == 0 || edit->source == NULL)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_SOURCES,
                   "%s: the %s timeline holds no clip of a media file", edit->path, edit->format_name);
      return NULL;
    }
  if (edit->rate.num <= 0 || edit->rate.den <= 0)
    {
      g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_RATE,
                   "%s: no usable frame rate in the %s file", edit->path, edit->format_name);
      return NULL;
    }

  for (guint i = 0; i < edit->clips->len; i++)
    {
      AveIcClip *c = &g_array_index (edit->clips, AveIcClip, i);
      g_autofree char *at = ave_rate_timebase (edit->rate) > 0
                          ? ave_timecode_from_frames (edit->rate, c->rec_in)
                          : g_strdup_printf ("frame %" G_GINT64_FORMAT, c->rec_in);

      if (c->src_in < 0 || c->src_out <= c->src_in)
        {
          g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                       "%s: clip %u (at %s) has no length or starts before its media "
                       "(source frames %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT ")",
                       edit->path, i + 1, at, c->src_in, c->src_out);
          return NULL;
        }
      if (i > 0)
        {
          gint64 expected = c->transition == AVE_TRANSITION_CROSSFADE ? prev_end - c->transition_frames : prev_end;
          if (c->rec_in < expected)
            {
              g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_OVERLAP,
                           "%s: clip %u (at %s) overlaps the clip before it by %" G_GINT64_FORMAT
                           " frames without a transition; this program plays one picture at a time: "
                           "trim one of them, or put a dissolve between them",
                           edit->path, i + 1, at, expected - c->rec_in);
              return NULL;
            }
          /* A gap closes: the plan plays its pieces end to end. */
        }
      prev_end = c->rec_in + (c->src_out - c->src_in);
      max_out = MAX (max_out, c->src_out);
    }

  source_duration = ave_rate_seconds (edit->rate, MAX (edit->source_frames, max_out));
  plan = ave_plan_new (edit->source, source_duration);
  ave_plan_set_director (plan, edit->format_name);
  for (guint i = 0; i < edit->clips->len; i++)
    {
      AveIcClip *c = &g_array_index (edit->clips, AveIcClip, i);
      g_autofree char *reason = g_strdup_printf ("clip %u of the %s edit", i + 1, edit->format_name);
      AveSegment segment = {
        .start = ave_rate_seconds (edit->rate, c->src_in),
        .end = ave_rate_seconds (edit->rate, c->src_out),
        .transition = AVE_TRANSITION_CUT,
        .enabled = TRUE,
        .reason = reason,
        .origin = AVE_SEGMENT_ORIGIN_IMPORT,
      };

      if (!ave_plan_append_segment (plan, &segment))
        {
          g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                       "%s: clip %u (source %.3f–%.3f s) is too short or outside the media",
                       edit->path, i + 1, segment.start, segment.end);
          return NULL;
        }
      if (i > 0 && c->transition != AVE_TRANSITION_CUT && c->transition_frames > 0
          && !ave_plan_set_transition (plan, i, c->transition, ave_rate_seconds (edit->rate, c->transition_frames)))
        {
          g_set_error (error, AVE_INTERCHANGE_ERROR, AVE_INTERCHANGE_ERROR_INVALID,
                       "%s: the transition into clip %u (%" G_GINT64_FORMAT " frames) is longer than "
                       "a clip it joins",
                       edit->path, i + 1, c->transition_frames);
          return NULL;
        }
    }
  for (guint i = 0; i < edit->markers->len; i++)
    {
      AveIcMarker *m = &g_array_index (edit->markers, AveIcMarker, i);
      if (m->kind == AVE_IC_MARKER_CHAPTER)
        ave_plan_add_chapter (plan, ave_rate_seconds (edit->rate, m->frame), m->name);
    }
  return g_steal_pointer (&plan);
}
