/* ave-preferences.h — the defaults for new jobs, bound to GSettings. */
#pragma once

#include <adwaita.h>

#include "ave-application.h"

G_BEGIN_DECLS

#define AVE_TYPE_PREFERENCES (ave_preferences_get_type ())
G_DECLARE_FINAL_TYPE (AvePreferences, ave_preferences, AVE, PREFERENCES, AdwPreferencesWindow)

AvePreferences *ave_preferences_new (AveApplication *application);

G_END_DECLS
