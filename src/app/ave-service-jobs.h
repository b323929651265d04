/* ave-service-jobs.h — the jobs that scripts started over D-Bus, in the
 * window: a header bar button (hidden until there is one) whose popover
 * lists each job with its input, state and progress, and a button to
 * cancel it (the user in front of the app may stop any job). */
#pragma once

#include <gtk/gtk.h>

#include "ave-engine-service.h"

G_BEGIN_DECLS

GtkWidget *ave_service_jobs_button_new (AveEngineService *engine);

G_END_DECLS
