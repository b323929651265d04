#define G_LOG_DOMAIN "ave-remote-image"

#include "config.h"

#include <string.h>
#include <cairo.h>

#include "ave-remote-image.h"

#define OPENAI_URL    "https://api.openai.com/v1"
#define DEFAULT_MODEL "dall-e-3"
#define MAX_TITLE_CHARS 200

/* Lettering drawn by an image model is often misspelt: the engine writes
 * the title itself, over a picture asked to leave room for it. */
#define PROMPT_FORMAT \
  "A striking background picture for the thumbnail of a video titled \"%s\". " \
  "Bold shapes, strong colours, high contrast, one clear subject. " \
  "No text, no letters, no words, no logos: a title will be written across the bottom."

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_surface_t, cairo_surface_destroy)

static int
compare_words (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

char *
ave_remote_image_normalise_title (const char *title)
{
  g_autofree char *folded = g_utf8_casefold (title != NULL ? title : "", -1);
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  GString *word = g_string_new (NULL);
  GString *out = g_string_new (NULL);

  for (const char *p = folded; ; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != 0 && g_unichar_isalnum (c))
        {
          g_string_append_unichar (word, c);
          continue;
        }
      /* Apostrophes join a word's parts: "what's" and "whats" are one. */
      if (c == '\'' || c == 0x2019)
        continue;
      if (word->len > 0)
        {
          g_ptr_array_add (words, g_strdup (word->str));
          g_string_truncate (word, 0);
        }
      if (c == 0)
        break;
    }
  g_string_free (word, TRUE);
  g_ptr_array_sort (words, compare_words);
  for (guint i = 0; i < words->len; i++)
    {
      if (i > 0 && g_str_equal (g_ptr_array_index (words, i), g_ptr_array_index (words, i - 1)))
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, g_ptr_array_index (words, i));
    }
  return g_string_free (out, FALSE);
}

/* The title as it goes into the prompt: one line, no control characters,
 * no quotes that would end the prompt's own, at most MAX_TITLE_CHARS. */
static char *
prompt_title (const char *title)
{
  GString *out = g_string_new (NULL);
  guint n = 0;

  for (const char *p = title != NULL ? title : ""; *p != '\0' && n < MAX_TITLE_CHARS; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        c = ' ';
      else if (c == '"')
        c = '\'';
      g_string_append_unichar (out, c);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

typedef struct
{
  GPtrArray *images;     /* AveRgbaImage */
  guint      wanted;
} Answer;

typedef struct
{
  const guint8 *data;
  gsize         length, offset;
} PngReader;

static cairo_status_t
read_png (void *closure, unsigned char *data, unsigned int length)
{
  PngReader *r = closure;

  if (r->length - r->offset < length)
    return CAIRO_STATUS_READ_ERROR;
  memcpy (data, r->data + r->offset, length);
  r->offset += length;
  return CAIRO_STATUS_SUCCESS;
}

/* A PNG as straight RGBA; its size is read from the header first, so that
 * a small file claiming a huge picture is refused before it is decoded. */
static AveRgbaImage *
decode_png (const guint8 *data, gsize length, GError **error)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  PngReader reader = { data, length, 0 };
  g_autoptr(cairo_surface_t) surface = NULL;
  AveRgbaImage *image;
  guint32 w, h;
  const guint8 *pixels;
  int stride;

  if (length < 24 || memcmp (data, signature, 8) != 0 || memcmp (data + 12, "IHDR", 4) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the picture is not a PNG (ask the server for PNG output)");
      return NULL;
    }
  w = GUINT32_FROM_BE (*(const guint32 *) (data + 16));
  h = GUINT32_FROM_BE (*(const guint32 *) (data + 20));
  if (w == 0 || h == 0 || w > AVE_THUMBNAIL_ART_MAX_SIDE || h > AVE_THUMBNAIL_ART_MAX_SIDE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the picture is %ux%u pixels; at most %u a side is taken", w, h, AVE_THUMBNAIL_ART_MAX_SIDE);
      return NULL;
    }
  surface = cairo_image_surface_create_from_png_stream (read_png, &reader);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS
      || cairo_image_surface_get_width (surface) <= 0 || cairo_image_surface_get_height (surface) <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the PNG cannot be decoded: %s",
                   cairo_status_to_string (cairo_surface_status (surface)));
      return NULL;
    }
  cairo_surface_flush (surface);
  image = g_new0 (AveRgbaImage, 1);
  image->width = cairo_image_surface_get_width (surface);
  image->height = cairo_image_surface_get_height (surface);
  image->stride = image->width * 4;
  image->rgba = g_malloc ((gsize) image->stride * image->height);
  pixels = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < image->height; y++)
    {
      const guint32 *in = (const guint32 *) (pixels + (gsize) y * stride);
      guint8 *out = image->rgba + (gsize) y * image->stride;

      for (int x = 0; x < image->width; x++, out += 4)
        {
          guint32 p = in[x];
          guint a = cairo_image_surface_get_format (surface) == CAIRO_FORMAT_ARGB32 ? p >> 24 : 255;

          /* cairo premultiplies; a background wants the colour itself */
          out[0] = a > 0 ? MIN (255u, ((p >> 16) & 0xff) * 255 / a) : 0;
          out[1] = a > 0 ? MIN (255u, ((p >> 8) & 0xff) * 255 / a) : 0;
          out[2] = a > 0 ? MIN (255u, (p & 0xff) * 255 / a) : 0;
          out[3] = a;
        }
    }
  return image;
}

/* {"created": …, "data": [{"b64_json": "…"}, …]}: every picture must be a
 * PNG that decodes, and at least one must come. */
static gboolean
validate_images (JsonNode *answer, gpointer user_data, GError **error)
{
  Answer *a = user_data;
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonNode *list = o != NULL ? json_object_get_member (o, "data") : NULL;
  JsonArray *data;

  g_ptr_array_set_size (a->images, 0);
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list) || json_array_get_length (json_node_get_array (list)) == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer has no \"data\" list of pictures");
      return FALSE;
    }
  data = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (data) && a->images->len < a->wanted; i++)
    {
      JsonNode *item = json_array_get_element (data, i);
      JsonNode *b64 = JSON_NODE_HOLDS_OBJECT (item) ? json_object_get_member (json_node_get_object (item), "b64_json")
                                                    : NULL;
      g_autofree guint8 *png = NULL;
      gsize length = 0;
      AveRgbaImage *image;
      g_autoptr(GError) local = NULL;

      if (b64 == NULL || !JSON_NODE_HOLDS_VALUE (b64) || json_node_get_value_type (b64) != G_TYPE_STRING)
        {
          g_ptr_array_set_size (a->images, 0);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "data[%u] has no \"b64_json\" (does the server take response_format=b64_json?)", i);
          return FALSE;
        }
      png = g_base64_decode (json_node_get_string (b64), &length);
      image = decode_png (png, length, &local);
      if (image == NULL)
        {
          g_ptr_array_set_size (a->images, 0);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "data[%u]: %s", i, local->message);
          return FALSE;
        }
      g_ptr_array_add (a->images, image);
    }
  return TRUE;
}

/* OpenAI's dall-e-3 makes one picture a request; gpt-image models always
 * answer in base64 and refuse the response_format member. */
static gboolean
takes_one_image (const char *model)
{
  return g_str_has_prefix (model, "dall-e-3");
}

static GBytes *
request_body (const char *model, const char *prompt, guint n)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize length;
  char *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "prompt");
  json_builder_add_string_value (b, prompt);
  json_builder_set_member_name (b, "n");
  json_builder_add_int_value (b, n);
  json_builder_set_member_name (b, "size");
  json_builder_add_string_value (b, AVE_REMOTE_IMAGE_SIZE);
  if (!g_str_has_prefix (model, "gpt-image"))
    {
      json_builder_set_member_name (b, "response_format");
      json_builder_add_string_value (b, "b64_json");
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

GPtrArray *
ave_remote_image_generate (AveRemote          *remote,
                           const AveSettings  *settings,
                           const char         *title,
                           guint               variants,
                           GCancellable       *cancellable,
                           GError            **error)
{
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) ave_rgba_image_free);
  g_autofree char *base = g_strdup (settings->image_url != NULL ? settings->image_url : OPENAI_URL);
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *why_no_key = NULL;
  g_autofree char *clean = prompt_title (title);
  g_autofree char *prompt = NULL;
  g_autofree char *similar = NULL;
  g_autoptr(GError) last = NULL;
  const char *model = settings->image_model != NULL ? settings->image_model : DEFAULT_MODEL;
  const char *key_provider, *key_url;
  guint pictures, requests, per_request;

  g_return_val_if_fail (variants > 0, NULL);
  while (strlen (base) > 0 && base[strlen (base) - 1] == '/')
    base[strlen (base) - 1] = '\0';
  url = g_strdup_printf ("%s/images/generations", base);

  ave_remote_key_target (settings, "image", &key_provider, &key_url);
  key = ave_remote_find_key ("image", key_provider, key_url, &why_no_key);
  if (key == NULL && settings->image_url == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s", why_no_key);
      return NULL;
    }
  if (*clean == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "the video has no title to draw from");
      return NULL;
    }
  prompt = g_strdup_printf (PROMPT_FORMAT, clean);
  if (settings->image_cache_similar)
    {
      g_autofree char *normal = ave_remote_image_normalise_title (clean);

      /* The prompt's wording is part of the key: a new wording makes new pictures. */
      similar = g_strdup_printf (PROMPT_FORMAT, normal);
    }

  pictures = settings->image_template_reuse ? 1 : variants;
  per_request = settings->image_batch_generation ? pictures : 1;
  if (per_request > 1 && takes_one_image (model))
    {
      g_autofree char *notice = g_strdup_printf ("thumbnail art: %s makes one picture a request; "
                                                 "%u requests instead of one with n=%u",
                                                 model, pictures, pictures);
      ave_remote_notice (remote, notice);
      per_request = 1;
    }
  requests = (pictures + per_request - 1) / per_request;

  for (guint r = 0; r < requests; r++)
    {
      guint n = MIN (per_request, pictures - r * per_request);
      g_autoptr(GBytes) body = request_body (model, prompt, n);
      g_autofree char *cache_text = NULL;
      g_autoptr(JsonNode) answer = NULL;
      g_autoptr(GError) local = NULL;
      Answer a = { g_ptr_array_new_with_free_func ((GDestroyNotify) ave_rgba_image_free), n };
      AveRemoteCall call = {
        .kind = "image",
        .provider = "openai",
        .model = model,
        .url = url,
        .key_header = "Authorization",
        .key = key,
        .content_type = "application/json",
        .body = body,
        .images = n,
        .optional = TRUE,
      };

      /* Requests of equal bodies each make a picture of their own: the
       * cache tells them apart by their place. */
      if (requests > 1 || similar != NULL)
        {
          g_autofree char *body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

          cache_text = g_strdup_printf ("%s\nn=%u\nrequest %u of %u", similar != NULL ? similar : body_text,
                                        n, r + 1, requests);
        }
      call.cache_text = cache_text;
      answer = ave_remote_call (remote, &call, validate_images, &a, cancellable, &local);
      if (answer != NULL)
        for (guint i = 0; i < a.images->len; i++)
          g_ptr_array_add (images, g_steal_pointer (&g_ptr_array_index (a.images, i)));
      g_ptr_array_unref (a.images);
      if (answer == NULL)
        {
          /* A cancel, or the budget, stops the rest too. */
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED)
              || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
            {
              g_clear_error (&last);
              last = g_steal_pointer (&local);
              break;
            }
          g_clear_error (&last);
          last = g_steal_pointer (&local);
        }
    }
  if (images->len == 0)
    {
      if (last != NULL)
        g_propagate_error (error, g_steal_pointer (&last));
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no picture came");
      return NULL;
    }
  if (g_error_matches (last, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&last));
      return NULL;
    }
  if (last != NULL)
    {
      g_autofree char *notice = g_strdup_printf ("thumbnail art: %u of %u pictures came (%s); they are reused in turn",
                                                 images->len, pictures, last->message);
      ave_remote_notice (remote, notice);
    }
  return g_steal_pointer (&images);
}
