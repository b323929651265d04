/* ave-compute-vulkan.h — the Vulkan compute backend (only built when
 * HAVE_VULKAN).  See docs/compute.md. */
#pragma once

#include "compute/ave-compute.h"

G_BEGIN_DECLS

#define AVE_TYPE_COMPUTE_VULKAN (ave_compute_vulkan_get_type ())
G_DECLARE_FINAL_TYPE (AveComputeVulkan, ave_compute_vulkan, AVE, COMPUTE_VULKAN, GObject)

/* Picks a device: when `device_filter` (usually $AVE_VULKAN_DEVICE) is set,
 * the first device whose name contains it (case-insensitive); otherwise a
 * discrete GPU, then an integrated one — never a CPU device (llvmpipe)
 * unless the filter names it.  Fails with AVE_COMPUTE_ERROR_UNAVAILABLE
 * (one-line message: no loader / no device / which devices exist). */
AveCompute *ave_compute_vulkan_new             (const char  *device_filter,
                                                guint64      memory_limit_bytes,
                                                GError     **error);
const char *ave_compute_vulkan_get_device_name (AveComputeVulkan *self);

G_END_DECLS
