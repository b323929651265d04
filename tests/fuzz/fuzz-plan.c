/* fuzz-plan.c — plan.json (ave_plan_load, as `--plan FILE` reads it).
 *
 * Beyond "no crash": a plan that loads must save to JSON that loads
 * again into the same plan (the app saves what it loaded), and must
 * survive what the job does next (validate, the output list). */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "director/ave-plan.h"
#include "fuzz-util.h"

static char *
plan_text (AvePlan *plan)
{
  g_autoptr(JsonNode) node = ave_plan_to_json (plan);

  return json_to_string (node, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(AvePlan) again = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;
  const char *path;

  fuzz_init ();
  path = fuzz_write_input ("plan.json", data, size);
  plan = ave_plan_load (path, &error);
  if (plan == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }

  node = ave_plan_to_json (plan);
  again = ave_plan_new_from_json (node, &error);
  if (again == NULL)
    {
      fprintf (stderr, "a loaded plan does not load again once saved: %s\n", error->message);
      abort ();
    }
  text = plan_text (plan);
  text_again = plan_text (again);
  if (!g_str_equal (text, text_again))
    {
      fprintf (stderr, "a saved plan loads as another plan:\n%s\n%s\n", text, text_again);
      abort ();
    }

  items = ave_plan_list_output_items (plan);
  (void) ave_plan_get_output_duration (plan);
  (void) ave_plan_source_to_output (plan, 1.0);
  if (!ave_plan_validate (plan, 60.0, &error))
    g_assert (error != NULL);
  return 0;
}
