/* fuzz-metrics.c — metrics files (*.jsonl) as analyze-performance reads
 * them: ave_performance_report_build over a folder holding the input,
 * then the report as text. */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include "resources/ave-report.h"
#include "fuzz-util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;

  fuzz_init ();
  fuzz_write_input ("run.jsonl", data, size);
  dir = g_path_get_dirname (fuzz_path ("run.jsonl"));
  report = ave_performance_report_build (dir, &error);
  if (report == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  text = ave_performance_report_to_text (report);
  g_assert (text != NULL);
  return 0;
}
