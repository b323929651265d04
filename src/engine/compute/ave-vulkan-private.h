/* ave-vulkan-private.h — Vulkan plumbing shared by the Vulkan compute backend.
 *
 * The loader is opened at run time (dlopen) rather than linked, so the
 * program starts and falls back to the CPU backend on machines without
 * libvulkan.  AveVkContext owns the instance, the device, the pipelines and
 * two "slots" (buffers + command buffer + fence + descriptor set) so one
 * batch can be packed on the host while the previous one runs.
 */
#pragma once

#define VK_NO_PROTOTYPES 1
#include <vulkan/vulkan.h>
#include <glib.h>

#include "compute/ave-compute-vulkan.h"

G_BEGIN_DECLS

#define AVE_VK_INSTANCE_FUNCS(X)                     \
  X (vkDestroyInstance)                              \
  X (vkEnumeratePhysicalDevices)                     \
  X (vkGetPhysicalDeviceProperties)                  \
  X (vkGetPhysicalDeviceQueueFamilyProperties)       \
  X (vkGetPhysicalDeviceMemoryProperties)            \
  X (vkCreateDevice)                                 \
  X (vkGetDeviceProcAddr)

#define AVE_VK_DEVICE_FUNCS(X)                       \
  X (vkDestroyDevice)                                \
  X (vkGetDeviceQueue)                               \
  X (vkCreateBuffer)                                 \
  X (vkDestroyBuffer)                                \
  X (vkGetBufferMemoryRequirements)                  \
  X (vkAllocateMemory)                               \
  X (vkFreeMemory)                                   \
  X (vkBindBufferMemory)                             \
  X (vkMapMemory)                                    \
  X (vkUnmapMemory)                                  \
  X (vkInvalidateMappedMemoryRanges)                 \
  X (vkCreateShaderModule)                           \
  X (vkDestroyShaderModule)                          \
  X (vkCreateDescriptorSetLayout)                    \
  X (vkDestroyDescriptorSetLayout)                   \
  X (vkCreatePipelineLayout)                         \
  X (vkDestroyPipelineLayout)                        \
  X (vkCreateComputePipelines)                       \
  X (vkDestroyPipeline)                              \
  X (vkCreateDescriptorPool)                         \
  X (vkDestroyDescriptorPool)                        \
  X (vkAllocateDescriptorSets)                       \
  X (vkUpdateDescriptorSets)                         \
  X (vkCreateCommandPool)                            \
  X (vkDestroyCommandPool)                           \
  X (vkAllocateCommandBuffers)                       \
  X (vkBeginCommandBuffer)                           \
  X (vkEndCommandBuffer)                             \
  X (vkResetCommandBuffer)                           \
  X (vkCmdBindPipeline)                              \
  X (vkCmdBindDescriptorSets)                        \
  X (vkCmdPushConstants)                             \
  X (vkCmdDispatch)                                  \
  X (vkCmdCopyBuffer)                                \
  X (vkCmdFillBuffer)                                \
  X (vkCmdPipelineBarrier)                           \
  X (vkCmdWriteTimestamp)                            \
  X (vkCmdResetQueryPool)                            \
  X (vkCreateQueryPool)                              \
  X (vkDestroyQueryPool)                             \
  X (vkGetQueryPoolResults)                          \
  X (vkCreateFence)                                  \
  X (vkDestroyFence)                                 \
  X (vkResetFences)                                  \
  X (vkWaitForFences)                                \
  X (vkQueueSubmit)                                  \
  X (vkDeviceWaitIdle)

typedef enum
{
  AVE_VK_KERNEL_FRAME_STATS,
  AVE_VK_KERNEL_BLEND,
  AVE_VK_KERNEL_SCALE,
  AVE_VK_KERNEL_YUV_TO_RGBA,
  AVE_VK_KERNEL_RGBA_TO_YUV,
  AVE_VK_KERNEL_OVERLAY,
  AVE_VK_N_KERNELS
} AveVkKernel;

/* Every kernel's push constants fit the 128 bytes all devices guarantee. */
#define AVE_VK_PUSH_CONSTANT_BYTES 128

typedef struct
{
  VkBuffer        buffer;
  VkDeviceMemory  memory;
  VkDeviceSize    size;      /* bytes usable */
  VkDeviceSize    allocated; /* bytes the allocation takes (counted against the limit) */
  void           *map;       /* NULL unless host-visible */
  gboolean        coherent;
} AveVkBuffer;

/* Timestamps written around the stages of one submission. */
enum { AVE_VK_TS_BEGIN, AVE_VK_TS_UPLOADED, AVE_VK_TS_COMPUTED, AVE_VK_TS_DOWNLOADED, AVE_VK_N_TS };

typedef struct
{
  /* Host-visible buffers the CPU packs into / reads from; on devices whose
   * local memory the host can map (integrated GPUs, lavapipe) the kernels
   * use them directly and the device-local pair stays empty. */
  AveVkBuffer      in_host, out_host;
  AveVkBuffer      in_dev, out_dev;
  VkCommandBuffer  cmd;
  VkFence          fence;
  VkDescriptorSet  set;
  gboolean         set_valid;   /* descriptor set points at the current buffers */
  gboolean         pending;     /* submitted and not yet waited for */
  VkDeviceSize     in_bytes, out_bytes;  /* what the pending submission copies */
} AveVkSlot;

#define AVE_VK_N_SLOTS 2

typedef AveComputeVulkanTimings AveVkTimings;

typedef struct
{
  void                   *loader;
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
#define AVE_VK_DECLARE(name) PFN_##name name;
  AVE_VK_INSTANCE_FUNCS (AVE_VK_DECLARE)
  AVE_VK_DEVICE_FUNCS (AVE_VK_DECLARE)
#undef AVE_VK_DECLARE

  VkInstance                 instance;
  VkPhysicalDevice           physical;
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties mem_props;
  VkDevice                   device;
  VkQueue                    queue;
  guint32                    queue_family;
  gboolean                   unified;        /* kernels read host-visible memory directly */
  guint32                    type_host_upload;
  guint32                    type_host_download;
  guint32                    type_device;
  VkDeviceSize               max_buffer_bytes; /* maxStorageBufferRange */
  guint64                    memory_limit;     /* 0 = none */
  VkDeviceSize               allocated;        /* sum of all buffer allocations */

  VkDescriptorSetLayout      set_layout;
  VkPipelineLayout           pipeline_layout;
  VkPipeline                 pipelines[AVE_VK_N_KERNELS];
  VkDescriptorPool           descriptor_pool;
  VkCommandPool              command_pool;
  VkQueryPool                query_pool;      /* AVE_VK_N_TS per slot; NULL when timestamps are unsupported */
  double                     timestamp_ns;
  guint64                    timestamp_mask;

  AveVkSlot                  slots[AVE_VK_N_SLOTS];
  AveVkTimings               timings;
  gboolean                   lost;            /* the device was lost: every call fails */
} AveVkContext;

AveVkContext *_ave_vk_context_new        (const char    *device_filter,
                                          guint64        memory_limit_bytes,
                                          GError       **error);
void          _ave_vk_context_free       (AveVkContext  *ctx);

/* Bytes a buffer of `size` takes against the memory limit, including the
 * device-local twin when the device is not unified. */
VkDeviceSize  _ave_vk_context_footprint  (AveVkContext  *ctx,
                                          VkDeviceSize   in_bytes,
                                          VkDeviceSize   out_bytes);

/* Makes `slot` hold at least in/out bytes (waiting for it first), growing
 * its buffers within the memory limit; frees idle buffers of other slots
 * when that is what it takes to stay under the limit. */
gboolean      _ave_vk_slot_reserve       (AveVkContext  *ctx,
                                          guint          slot,
                                          VkDeviceSize   in_bytes,
                                          VkDeviceSize   out_bytes,
                                          GError       **error);

/* Records and submits one kernel run on `slot`: upload in_bytes, zero the
 * first zero_out_bytes of the output, dispatch, download out_bytes.  Does
 * not wait. */
gboolean      _ave_vk_slot_submit        (AveVkContext  *ctx,
                                          guint          slot,
                                          AveVkKernel    kernel,
                                          const void    *push_constants,
                                          gsize          push_constants_size,
                                          guint32        groups_x,
                                          guint32        groups_y,
                                          guint32        groups_z,
                                          VkDeviceSize   zero_out_bytes,
                                          GError       **error);

/* Waits for the slot's submission (no-op when none is pending) and makes
 * its output readable through out_host.map. */
gboolean      _ave_vk_slot_wait          (AveVkContext  *ctx,
                                          guint          slot,
                                          GError       **error);

/* Frees the slot's buffers (it must not be pending). */
void          _ave_vk_slot_release       (AveVkContext  *ctx,
                                          guint          slot);

const char   *_ave_vk_result_to_string   (VkResult       result);

G_END_DECLS
