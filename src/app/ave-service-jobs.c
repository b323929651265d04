#define G_LOG_DOMAIN "ave-service-jobs"

#include "config.h"

#include <glib/gi18n.h>

#include "ave-service-jobs.h"

typedef struct
{
  GtkWidget        *button;
  GtkListBox       *list;
  AveEngineService *engine;
  gulong            added_id;
} JobsView;

static const char *
state_label (const char *state)
{
  if (g_strcmp0 (state, "queued") == 0)
    return _("Waiting");
  if (g_strcmp0 (state, "running") == 0)
    return _("Running");
  if (g_strcmp0 (state, "done") == 0)
    return _("Done");
  if (g_strcmp0 (state, "failed") == 0)
    return _("Failed");
  if (g_strcmp0 (state, "cancelled") == 0)
    return _("Cancelled");
  return state;
}

static void
update_row (AveDBusJob1 *job, GParamSpec *pspec, GtkWidget *row)
{
  GtkLabel *status = g_object_get_data (G_OBJECT (row), "status");
  GtkProgressBar *bar = g_object_get_data (G_OBJECT (row), "bar");
  GtkWidget *cancel = g_object_get_data (G_OBJECT (row), "cancel");
  const char *state = ave_dbus_job1_get_state (job);
  gboolean active = g_strcmp0 (state, "queued") == 0 || g_strcmp0 (state, "running") == 0;
  const char *error = ave_dbus_job1_get_error (job);
  g_autofree char *text = NULL;

  if (error != NULL && *error != '\0')
    text = g_strdup_printf ("%s: %s", state_label (state), error);
  else if (g_strcmp0 (state, "running") == 0 && ave_dbus_job1_get_stage (job) != NULL)
    text = g_strdup_printf ("%s · %s · %.0f %%", state_label (state), ave_dbus_job1_get_stage (job),
                            100 * ave_dbus_job1_get_progress (job));
  else
    text = g_strdup (state_label (state));
  gtk_label_set_text (status, text);
  gtk_progress_bar_set_fraction (bar, ave_dbus_job1_get_progress (job));
  gtk_widget_set_visible (cancel, active);
}

static void
on_cancel_clicked (GtkButton *button, AveDBusJob1 *job)
{
  JobsView *view = g_object_get_data (G_OBJECT (button), "view");

  ave_engine_service_cancel_job (view->engine, job);
}

static void
add_row (JobsView *view, AveDBusJob1 *job)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autofree char *name = g_path_get_basename (ave_dbus_job1_get_input (job));
  GtkWidget *title = gtk_label_new (name);
  GtkWidget *status = gtk_label_new (NULL);
  GtkWidget *bar = gtk_progress_bar_new ();
  GtkWidget *cancel = gtk_button_new_from_icon_name ("process-stop-symbolic");

  gtk_widget_set_margin_start (row, 6);
  gtk_widget_set_margin_end (row, 6);
  gtk_widget_set_margin_top (row, 6);
  gtk_widget_set_margin_bottom (row, 6);
  gtk_widget_set_tooltip_text (title, ave_dbus_job1_get_input (job));
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_label_set_xalign (GTK_LABEL (status), 0);
  gtk_label_set_wrap (GTK_LABEL (status), TRUE);
  gtk_widget_add_css_class (status, "dim-label");
  gtk_widget_set_tooltip_text (cancel, _("Cancel This Job"));
  gtk_widget_add_css_class (cancel, "flat");
  g_object_set_data (G_OBJECT (cancel), "view", view);
  g_signal_connect_object (cancel, "clicked", G_CALLBACK (on_cancel_clicked), job, 0);
  gtk_box_append (GTK_BOX (top), title);
  gtk_box_append (GTK_BOX (top), cancel);
  gtk_box_append (GTK_BOX (row), top);
  gtk_box_append (GTK_BOX (row), status);
  gtk_box_append (GTK_BOX (row), bar);
  g_object_set_data (G_OBJECT (row), "status", status);
  g_object_set_data (G_OBJECT (row), "bar", bar);
  g_object_set_data (G_OBJECT (row), "cancel", cancel);
  g_signal_connect_object (job, "notify::state", G_CALLBACK (update_row), row, 0);
  g_signal_connect_object (job, "notify::progress", G_CALLBACK (update_row), row, 0);
  g_signal_connect_object (job, "notify::stage", G_CALLBACK (update_row), row, 0);
  update_row (job, NULL, row);
  gtk_list_box_append (view->list, row);
  gtk_widget_set_visible (view->button, TRUE);
}

static void
on_job_added (AveEngineService *engine, AveDBusJob1 *job, JobsView *view)
{
  add_row (view, job);
}

static void
jobs_view_free (gpointer data)
{
  JobsView *view = data;

  g_clear_signal_handler (&view->added_id, view->engine);
  g_clear_object (&view->engine);
  g_free (view);
}

GtkWidget *
ave_service_jobs_button_new (AveEngineService *engine)
{
  JobsView *view = g_new0 (JobsView, 1);
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("Jobs Started by Other Programs"));
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GPtrArray *jobs = ave_engine_service_get_jobs (engine);

  view->engine = g_object_ref (engine);
  view->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (view->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (heading, "heading");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 400);
  gtk_widget_set_size_request (scrolled, 320, -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (view->list));
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_popover_set_child (GTK_POPOVER (popover), box);

  view->button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (view->button), "view-list-bullet-symbolic");
  gtk_widget_set_tooltip_text (view->button, _("Jobs Started over D-Bus"));
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (view->button), popover);
  /* Hidden until a script starts something. */
  gtk_widget_set_visible (view->button, FALSE);
  g_object_set_data_full (G_OBJECT (view->button), "ave-jobs-view", view, jobs_view_free);
  for (guint i = 0; i < jobs->len; i++)
    add_row (view, g_ptr_array_index (jobs, i));
  view->added_id = g_signal_connect (engine, "job-added", G_CALLBACK (on_job_added), view);
  return view->button;
}
