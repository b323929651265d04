/* fuzz-interchange.c — edits from other editors (ave_interchange_import, as
 * `--plan FILE` and `export FILE` read them): MLT, Kdenlive, FCPXML,
 * xmeml, OTIO, EDL, told by content.
 *
 * Beyond "no crash": an edit that imports must export again to every XML
 * and JSON format, and each export must import back into as many
 * segments (the round trip the docs promise). */
#define G_LOG_DOMAIN "ave-fuzz"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "interchange/ave-interchange.h"
#include "fuzz-util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(AvePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  AveMediaInfo media = { 0 };
  const char *path;
  guint enabled = 0;

  fuzz_init ();
  path = fuzz_write_input ("edit", data, size);
  plan = ave_interchange_import (path, &error);
  if (plan == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  for (guint i = 0; i < ave_plan_get_n_segments (plan); i++)
    enabled += ave_plan_get_segment (plan, i)->enabled;
  if (enabled == 0 || ave_plan_get_n_cards (plan) > 0)
    return 0;

  /* The source as a 25 fps video of the plan's length. */
  media.path = (char *) ave_plan_get_source (plan);
  media.duration = ave_plan_get_source_duration (plan);
  media.has_video = TRUE;
  media.frame_rate = 25;
  media.width = media.display_width = 640;
  media.height = media.display_height = 360;
  media.has_audio = TRUE;
  media.sample_rate = 48000;
  media.channels = 2;
  for (guint f = 0; f < AVE_INTERCHANGE_N_FORMATS; f++)
    {
      const char *out = fuzz_path (ave_interchange_format_file_name (f));
      g_autoptr(AvePlan) back = NULL;

      if (f == AVE_INTERCHANGE_EDL)
        {
          /* Its reader probes the source, which a fuzzed edit names
           * without it existing: export only. */
          g_autofree char *text = ave_interchange_export (plan, &media, NULL, f, out, AVE_EXPORT_PATHS_ABSOLUTE, &error);
          g_clear_error (&error);
          continue;
        }
      if (!ave_interchange_export_file (plan, &media, NULL, f, out, AVE_EXPORT_PATHS_ABSOLUTE, &error))
        {
          fprintf (stderr, "an imported edit does not export to %s: %s\n",
                   ave_interchange_format_name (f), error->message);
          abort ();
        }
      back = ave_interchange_import (out, &error);
      if (back == NULL || ave_plan_get_n_segments (back) != enabled)
        {
          fprintf (stderr, "the %s export of an imported edit does not import back into %u segments: %s\n",
                   ave_interchange_format_name (f), enabled, back == NULL ? error->message : "another count");
          abort ();
        }
    }
  return 0;
}
