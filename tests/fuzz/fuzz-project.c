/* fuzz-project.c — project files (*.aveproj, ave_project_load: the app's
 * Open and `--project`).  A project that loads must save and load again. */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "director/ave-project.h"
#include "fuzz-util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(AveProject) project = NULL;
  g_autoptr(AveProject) again = NULL;
  g_autoptr(GError) error = NULL;
  const char *path;

  fuzz_init ();
  path = fuzz_write_input ("input.aveproj", data, size);
  project = ave_project_load (path, &error);
  if (project == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }

  if (!ave_project_save (project, fuzz_path ("saved.aveproj"), &error) ||
      (again = ave_project_load (fuzz_path ("saved.aveproj"), &error)) == NULL)
    {
      fprintf (stderr, "a loaded project does not load again once saved: %s\n", error->message);
      abort ();
    }
  return 0;
}
