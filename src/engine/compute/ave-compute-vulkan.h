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

/* Upper bound on the frames one analysis submission carries (default 16);
 * the memory limit may lower it further.  Results never depend on it. */
void        ave_compute_vulkan_set_max_batch   (AveComputeVulkan *self,
                                                guint             max_frames);

/* Where the time goes, accumulated since creation or the last reset
 * (microseconds).  Device times come from GPU timestamps and stay 0 where
 * the device has none; upload/download times and bytes are 0 on devices
 * whose memory the host maps directly (integrated GPUs, lavapipe), where
 * nothing is copied. */
typedef struct
{
  guint64 submissions;
  guint64 upload_bytes;   /* host -> device-local copies */
  guint64 download_bytes; /* device-local -> host copies */
  double  pack_us;      /* host: copying inputs into mapped memory */
  double  upload_us;    /* device: host -> device-local copies */
  double  compute_us;   /* device: kernels */
  double  download_us;  /* device: device-local -> host copies */
  double  wait_us;      /* host: blocked on fences */
  double  unpack_us;    /* host: reading results out of mapped memory */
} AveComputeVulkanTimings;

void        ave_compute_vulkan_get_timings     (AveComputeVulkan        *self,
                                                AveComputeVulkanTimings *out);
void        ave_compute_vulkan_reset_timings   (AveComputeVulkan        *self);

G_END_DECLS
