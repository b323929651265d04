/* ave-project.h — the project file (*.aveproj): an edit to come back to.
 *
 * JSON: {"version":1, "source":..., "plan":{plan.json}, "output_folder":...,
 * "analysis":...}.  Paths are stored relative to the project file's folder
 * where they can be (so a project moves with its media), absolute
 * otherwise, and are absolute again after loading.
 */
#pragma once

#include <gio/gio.h>

#include "director/ave-plan.h"

G_BEGIN_DECLS

#define AVE_PROJECT_VERSION 1
#define AVE_PROJECT_MIME_TYPE "application/x-aveproj"

#define AVE_PROJECT_ERROR (ave_project_error_quark ())
typedef enum {
  AVE_PROJECT_ERROR_PARSE,     /* not a project file */
  AVE_PROJECT_ERROR_VERSION,   /* written by a newer version */
  AVE_PROJECT_ERROR_INVALID,   /* a member is missing or wrong: the message names it */
} AveProjectError;
GQuark ave_project_error_quark (void);

typedef struct
{
  char    *source;          /* absolute */
  AvePlan *plan;
  char    *output_folder;   /* absolute, nullable */
  char    *analysis_path;   /* absolute, nullable */
} AveProject;

AveProject *ave_project_new        (const char *source, AvePlan *plan,
                                    const char *output_folder, const char *analysis_path);
void        ave_project_free       (AveProject *self);
gboolean    ave_project_save       (const AveProject *self, const char *path, GError **error);
AveProject *ave_project_load       (const char *path, GError **error);

/* `target` relative to the folder `base_dir` ("../clips/a.mp4"), or NULL
 * when no relative path exists (another root).  Both must be absolute. */
char       *ave_project_relative_path (const char *base_dir, const char *target);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveProject, ave_project_free)

G_END_DECLS
