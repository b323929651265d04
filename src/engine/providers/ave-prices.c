#define G_LOG_DOMAIN "ave-prices"

#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ave-prices.h"
#include "ave-prices-resources.h"

static JsonObject *
shipped (void)
{
  static JsonNode *root;

  if (g_once_init_enter (&root))
    {
      g_autoptr(GBytes) bytes = g_resource_lookup_data (ave_prices_get_resource (),
                                                        "/io/github/aivideoeditor/Editor/data/prices.json",
                                                        G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *node;

      /* Built in and checked by the tests: it always parses. */
      if (bytes == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                                        g_bytes_get_size (bytes), NULL))
        g_error ("the embedded prices.json does not parse");
      node = json_parser_steal_root (parser);
      g_once_init_leave (&root, node);
    }
  return json_node_get_object (root);
}

const char *
ave_prices_as_of (void)
{
  return json_object_get_string_member (shipped (), "as_of");
}

gboolean
ave_prices_lookup (const AveSettings *settings, const char *model, AvePrice *price)
{
  JsonObject *models = json_object_get_object_member (shipped (), "models");
  gboolean found = FALSE;
  gsize model_length;

  memset (price, 0, sizeof *price);
  if (model == NULL)
    return FALSE;
  model_length = strlen (model);
  if (json_object_has_member (models, model))
    {
      JsonObject *entry = json_object_get_object_member (models, model);

      price->input_per_mtok = json_object_get_double_member_with_default (entry, "input_per_mtok", 0);
      price->output_per_mtok = json_object_get_double_member_with_default (entry, "output_per_mtok", 0);
      price->audio_per_minute = json_object_get_double_member_with_default (entry, "audio_per_minute", 0);
      price->per_image = json_object_get_double_member_with_default (entry, "per_image", 0);
      found = TRUE;
    }
  /* "model:key=value", later entries win (ave-config.c writes them). */
  for (guint i = 0; settings != NULL && settings->api_prices != NULL && settings->api_prices[i] != NULL; i++)
    {
      const char *entry = settings->api_prices[i];
      const char *colon = strrchr (entry, ':');
      const char *eq;
      double value;

      if (colon == NULL || (gsize) (colon - entry) != model_length || strncmp (entry, model, model_length) != 0)
        continue;
      eq = strchr (colon, '=');
      if (eq == NULL)
        continue;
      value = g_ascii_strtod (eq + 1, NULL);
      if (strncmp (colon + 1, "input_per_mtok=", 15) == 0)
        price->input_per_mtok = value;
      else if (strncmp (colon + 1, "output_per_mtok=", 16) == 0)
        price->output_per_mtok = value;
      else if (strncmp (colon + 1, "audio_per_minute=", 17) == 0)
        price->audio_per_minute = value;
      else if (strncmp (colon + 1, "per_image=", 10) == 0)
        price->per_image = value;
      else
        continue;
      found = TRUE;
    }
  return found;
}

double
ave_price_cost (const AvePrice *price, guint64 prompt_tokens, guint64 completion_tokens,
                double audio_seconds, guint images)
{
  return prompt_tokens * price->input_per_mtok / 1e6
         + completion_tokens * price->output_per_mtok / 1e6
         + audio_seconds / 60.0 * price->audio_per_minute
         + images * price->per_image;
}
