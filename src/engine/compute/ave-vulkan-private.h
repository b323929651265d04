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
  /* Chained slots only: frames one kernel writes and the next reads,
   * device-local, never copied to the host. */
  AveVkBuffer      work;
  VkCommandBuffer  cmd;
  VkFence          fence;
  VkDescriptorSet  set;         /* in -> out; in -> work in a chained slot */
  VkDescriptorSet  set_work;    /* chained slots: work -> out */
  gboolean         set_valid;   /* descriptor set points at the current buffers */
  gboolean         pending;     /* submitted and not yet waited for */
  VkDeviceSize     in_bytes, out_bytes;  /* what the pending submission copies */
} AveVkSlot;

/* Slots 0 and 1 serve the one-call kernels; the two after them belong to
 * the fused analysis (ave_compute_analysis_*), which keeps frames in their
 * work buffers between calls, so nothing else may touch them. */
#define AVE_VK_N_SLOTS       2
#define AVE_VK_CHAINED_SLOT  AVE_VK_N_SLOTS
#define AVE_VK_N_CHAINED     2
/* The last slot runs frame chains (ave_compute_frame_chain_*): its one
 * device-local work buffer is bound as both input and output. */
#define AVE_VK_CHAIN_SLOT    (AVE_VK_N_SLOTS + AVE_VK_N_CHAINED)
#define AVE_VK_N_ALL_SLOTS   (AVE_VK_CHAIN_SLOT + 1)

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

  AveVkSlot                  slots[AVE_VK_N_ALL_SLOTS];
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
/* The same for a chained slot, whose work buffer is device-local only. */
VkDeviceSize  _ave_vk_chained_footprint  (AveVkContext  *ctx,
                                          VkDeviceSize   in_bytes,
                                          VkDeviceSize   work_bytes,
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

/* Makes chained slot `slot` hold at least these bytes in its input,
 * work and output buffers (waiting for it first).  Unlike
 * _ave_vk_slot_reserve, a buffer that is large enough is kept with its
 * contents: the work buffer may hold a frame a later submission reads. */
gboolean      _ave_vk_chained_reserve    (AveVkContext  *ctx,
                                          guint          slot,
                                          VkDeviceSize   in_bytes,
                                          VkDeviceSize   work_bytes,
                                          VkDeviceSize   out_bytes,
                                          GError       **error);

/* One dispatch of a chained submission: `work_in` binds the work buffer
 * as its input (and the output buffer as its output), else the input
 * buffer as input and the work buffer as output. */
typedef struct
{
  AveVkKernel  kernel;
  gboolean     work_in;
  const void  *push_constants;
  gsize        push_constants_size;
  guint32      groups_x, groups_y, groups_z;
} AveVkDispatch;

/* Records and submits, on chained slot `slot`: upload in_bytes; when
 * `copy_bytes` > 0 a device copy of that many bytes from chained slot
 * `copy_from`'s work buffer at `copy_src` to this slot's at `copy_dst`;
 * zero the first zero_out_bytes of the output; the dispatches in order,
 * each of those with `work_in` after a barrier (it reads what the ones
 * before wrote); download out_bytes.  Everything earlier on the queue
 * finishes its reads and writes first.  Does not wait. */
gboolean      _ave_vk_chained_submit     (AveVkContext         *ctx,
                                          guint                 slot,
                                          VkDeviceSize          in_bytes,
                                          guint                 copy_from,
                                          VkDeviceSize          copy_src,
                                          VkDeviceSize          copy_dst,
                                          VkDeviceSize          copy_bytes,
                                          VkDeviceSize          zero_out_bytes,
                                          VkDeviceSize          out_bytes,
                                          const AveVkDispatch  *dispatches,
                                          guint                 n_dispatches,
                                          GError              **error);

/* Makes the frame-chain slot hold at least these bytes in its host
 * input, its work buffer (device-local, bound as both the kernels' input
 * and output) and its host output (waiting for it first); idle one-call
 * slots give their memory back when the limit needs it; width x height
 * is the composed frame's size, for the message when it does not fit. */
gboolean      _ave_vk_chain_reserve      (AveVkContext  *ctx,
                                          int            width,
                                          int            height,
                                          VkDeviceSize   in_bytes,
                                          VkDeviceSize   work_bytes,
                                          VkDeviceSize   out_bytes,
                                          GError       **error);

/* A run of words the frame chain fills on the device before its kernels. */
typedef struct
{
  VkDeviceSize offset, size;
  guint32      value;
} AveVkFill;

/* Records and submits the frame chain: copies the `uploads` regions of
 * the host input into the work buffer (over the bus on a staged device),
 * fills, runs the dispatches in order with a barrier before each (each
 * reads what the ones before wrote; work_in is ignored), and copies
 * out_bytes of the work buffer from `result` into the host output.  Does
 * not wait. */
gboolean      _ave_vk_chain_submit       (AveVkContext         *ctx,
                                          const VkBufferCopy   *uploads,
                                          guint                 n_uploads,
                                          const AveVkFill      *fills,
                                          guint                 n_fills,
                                          const AveVkDispatch  *dispatches,
                                          guint                 n_dispatches,
                                          VkDeviceSize          result,
                                          VkDeviceSize          out_bytes,
                                          GError              **error);

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
