/* ave-keys.h — API keys in the desktop keyring (libsecret), one entry per
 * provider and URL.  `ai-video-editor auth set PROVIDER` and the app's
 * preferences store them; the engine looks them up when the environment
 * has none (ave_remote_find_key).  Where no keyring runs (CI, the headless
 * service) the environment is the way, and the lookup says so. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The key, or NULL and `note` saying why there is none. */
char     *ave_keys_lookup (const char *provider, const char *url, char **note);
gboolean  ave_keys_store  (const char *provider, const char *url, const char *key, GError **error);

G_END_DECLS
