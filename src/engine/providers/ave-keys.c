#define G_LOG_DOMAIN "ave-keys"

#include "config.h"

#include <libsecret/secret.h>

#include "ave-keys.h"
#include "ave-http.h"

static const SecretSchema *
key_schema (void)
{
  static const SecretSchema schema = {
    "io.github.aivideoeditor.Editor.ApiKey", SECRET_SCHEMA_NONE,
    {
      { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

/* The keyring talks over the session bus; without one there is nothing
 * to ask (and libsecret would try to start a bus). */
static gboolean
have_session_bus (char **note)
{
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      if (note != NULL)
        *note = g_strdup ("no desktop keyring runs here (no session bus): set the key in the environment");
      return FALSE;
    }
  return TRUE;
}

static char *
url_attribute (const char *url)
{
  return url != NULL ? ave_http_display_url (url) : g_strdup ("");
}

char *
ave_keys_lookup (const char *provider, const char *url, char **note)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *where = url_attribute (url);
  char *key;

  if (!have_session_bus (note))
    return NULL;
  key = secret_password_lookup_sync (key_schema (), NULL, &error, "provider", provider, "url", where, NULL);
  if (key == NULL && url != NULL && error == NULL)
    /* One key for the provider, whatever URL. */
    key = secret_password_lookup_sync (key_schema (), NULL, &error, "provider", provider, "url", "", NULL);
  if (key != NULL)
    {
      char *copy = g_strdup (key);
      secret_password_free (key);
      return copy;
    }
  if (note != NULL)
    *note = error != NULL
            ? g_strdup_printf ("the desktop keyring did not answer (%s): set the key in the environment", error->message)
            : g_strdup_printf ("the desktop keyring holds none for %s (store one with `ai-video-editor auth set %s`)",
                               provider, provider);
  return NULL;
}

gboolean
ave_keys_store (const char *provider, const char *url, const char *key, GError **error)
{
  g_autofree char *where = url_attribute (url);
  g_autofree char *label = g_strdup_printf ("AI Video Editor: %s API key%s%s", provider,
                                            *where != '\0' ? " for " : "", where);
  g_autofree char *note = NULL;

  if (!have_session_bus (&note))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, note);
      return FALSE;
    }
  return secret_password_store_sync (key_schema (), SECRET_COLLECTION_DEFAULT, label, key, NULL, error,
                                     "provider", provider, "url", where, NULL);
}
