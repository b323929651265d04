/* fuzz-analysis.c — analysis.json (ave_analysis_load: `--analysis FILE`
 * and the analysis cache), then the local director on what loaded, as a
 * job does on a cache hit.  A loaded analysis must save and load again. */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "analysis/ave-analysis.h"
#include "director/ave-local-director.h"
#include "fuzz-util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static AveSettings *settings;
  g_autoptr(AveAnalysis) analysis = NULL;
  g_autoptr(AveAnalysis) again = NULL;
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *path;

  fuzz_init ();
  if (settings == NULL)
    settings = ave_settings_new ();
  path = fuzz_write_input ("analysis.json", data, size);
  analysis = ave_analysis_load (path, &error);
  if (analysis == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }

  node = ave_analysis_to_json (analysis);
  again = ave_analysis_from_json (node, &error);
  if (again == NULL)
    {
      fprintf (stderr, "a loaded analysis does not load again once saved: %s\n", error->message);
      abort ();
    }

  plan = ave_local_director_plan (analysis, settings, &error);
  if (plan == NULL)
    g_assert (error != NULL);
  return 0;
}
