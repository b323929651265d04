#define G_LOG_DOMAIN "ave-compute-vulkan"

#include "config.h"

#include <dlfcn.h>
#include <string.h>
#include <gio/gio.h>

#include "core/ave-error.h"
#include "compute/ave-vulkan-private.h"
#include "shaders/ave-shaders.h"

#define SHADER_RESOURCE_PREFIX "/io/github/aivideoeditor/Editor/shaders/"
/* A stuck submission means a hung or lost device; this is far above what any
 * batch takes even on lavapipe. */
#define FENCE_TIMEOUT_NS (120 * G_GUINT64_CONSTANT (1000000000))
/* Buffer sizes are rounded so that small size changes reuse the buffers. */
#define BUFFER_GRANULE 65536

static const char * const kernel_shaders[AVE_VK_N_KERNELS] = {
  [AVE_VK_KERNEL_FRAME_STATS] = "frame-stats.spv",
  [AVE_VK_KERNEL_BLEND]       = "blend.spv",
  [AVE_VK_KERNEL_SCALE]       = "scale.spv",
  [AVE_VK_KERNEL_YUV_TO_RGBA] = "yuv2rgba.spv",
  [AVE_VK_KERNEL_RGBA_TO_YUV] = "rgba2yuv.spv",
  [AVE_VK_KERNEL_OVERLAY]     = "overlay.spv",
};

const char *
_ave_vk_result_to_string (VkResult result)
{
  switch (result)
    {
#define CASE(r) case r: return #r;
    CASE (VK_SUCCESS)
    CASE (VK_NOT_READY)
    CASE (VK_TIMEOUT)
    CASE (VK_INCOMPLETE)
    CASE (VK_ERROR_OUT_OF_HOST_MEMORY)
    CASE (VK_ERROR_OUT_OF_DEVICE_MEMORY)
    CASE (VK_ERROR_INITIALIZATION_FAILED)
    CASE (VK_ERROR_DEVICE_LOST)
    CASE (VK_ERROR_MEMORY_MAP_FAILED)
    CASE (VK_ERROR_LAYER_NOT_PRESENT)
    CASE (VK_ERROR_EXTENSION_NOT_PRESENT)
    CASE (VK_ERROR_FEATURE_NOT_PRESENT)
    CASE (VK_ERROR_INCOMPATIBLE_DRIVER)
    CASE (VK_ERROR_TOO_MANY_OBJECTS)
    CASE (VK_ERROR_FORMAT_NOT_SUPPORTED)
    CASE (VK_ERROR_OUT_OF_POOL_MEMORY)
#undef CASE
    default:
      return "VK_ERROR_UNKNOWN";
    }
}

static gboolean
check (AveVkContext  *ctx,
       VkResult       result,
       const char    *what,
       GError       **error)
{
  if (result == VK_SUCCESS)
    return TRUE;
  if (result == VK_ERROR_DEVICE_LOST)
    ctx->lost = TRUE;
  g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
               "Vulkan: %s failed (%s)%s", what, _ave_vk_result_to_string (result),
               result == VK_ERROR_DEVICE_LOST ? "; the GPU was reset, run again or use the CPU backend" : "");
  return FALSE;
}

static const char *
device_type_label (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:   return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:    return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:            return "CPU";
    default:                                     return "other";
    }
}

/* Higher is better; 0 = only when a filter names it. */
static int
device_type_rank (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:   return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:    return 2;
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:          return 1;
    default:                                     return 0;
    }
}

static gboolean
load_loader (AveVkContext  *ctx,
             GError       **error)
{
  static const char * const names[] = { "libvulkan.so.1", "libvulkan.so" };

  for (guint i = 0; i < G_N_ELEMENTS (names) && ctx->loader == NULL; i++)
    ctx->loader = dlopen (names[i], RTLD_NOW | RTLD_LOCAL);
  if (ctx->loader == NULL)
    {
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                   "no Vulkan loader (libvulkan.so.1) is installed; install libvulkan1 and a Vulkan driver");
      return FALSE;
    }
  ctx->vkGetInstanceProcAddr = (PFN_vkGetInstanceProcAddr) dlsym (ctx->loader, "vkGetInstanceProcAddr");
  if (ctx->vkGetInstanceProcAddr == NULL)
    {
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                   "the Vulkan loader lacks vkGetInstanceProcAddr; reinstall libvulkan1");
      return FALSE;
    }
  return TRUE;
}

static gboolean
create_instance (AveVkContext  *ctx,
                 GError       **error)
{
  PFN_vkCreateInstance create = (PFN_vkCreateInstance)
    ctx->vkGetInstanceProcAddr (NULL, "vkCreateInstance");
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = PACKAGE_NAME,
    .applicationVersion = 1,
    .pEngineName = "ave-engine",
    .apiVersion = VK_API_VERSION_1_0,
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkResult result;

  if (create == NULL)
    {
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                   "the Vulkan loader lacks vkCreateInstance; reinstall libvulkan1");
      return FALSE;
    }
  result = create (&info, NULL, &ctx->instance);
  if (result != VK_SUCCESS)
    {
      ctx->instance = VK_NULL_HANDLE;
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                   "no Vulkan device found (the loader could not start: %s); install a Vulkan driver",
                   _ave_vk_result_to_string (result));
      return FALSE;
    }

#define AVE_VK_LOAD_INSTANCE(name) \
  ctx->name = (PFN_##name) ctx->vkGetInstanceProcAddr (ctx->instance, #name); \
  if (ctx->name == NULL) \
    { \
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE, \
                   "the Vulkan loader lacks %s; update libvulkan1", #name); \
      return FALSE; \
    }
  AVE_VK_INSTANCE_FUNCS (AVE_VK_LOAD_INSTANCE)
#undef AVE_VK_LOAD_INSTANCE
  return TRUE;
}

static gboolean
find_compute_queue (AveVkContext     *ctx,
                    VkPhysicalDevice  physical,
                    guint32          *family)
{
  guint32 n = 0;
  g_autofree VkQueueFamilyProperties *families = NULL;

  ctx->vkGetPhysicalDeviceQueueFamilyProperties (physical, &n, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  ctx->vkGetPhysicalDeviceQueueFamilyProperties (physical, &n, families);
  for (guint32 i = 0; i < n; i++)
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && families[i].queueCount > 0)
      {
        *family = i;
        return TRUE;
      }
  return FALSE;
}

/* A filter such as "llvmpipe" a user can paste, from a device name. */
static char *
filter_hint (const char *device_name)
{
  const char *space = strchr (device_name, ' ');
  g_autofree char *word = space ? g_strndup (device_name, space - device_name) : g_strdup (device_name);
  return g_ascii_strdown (word, -1);
}

static gboolean
pick_device (AveVkContext  *ctx,
             const char    *device_filter,
             GError       **error)
{
  guint32 n = 0;
  g_autofree VkPhysicalDevice *devices = NULL;
  g_autoptr(GString) listing = g_string_new (NULL);
  g_autofree char *filter = NULL;
  g_autofree char *cpu_hint = NULL;
  VkResult result;
  int best = -1, best_rank = -1;
  guint32 best_family = 0;

  if (device_filter != NULL && *device_filter != '\0')
    filter = g_ascii_strdown (device_filter, -1);

  result = ctx->vkEnumeratePhysicalDevices (ctx->instance, &n, NULL);
  if (result == VK_SUCCESS && n > 0)
    {
      devices = g_new0 (VkPhysicalDevice, n);
      result = ctx->vkEnumeratePhysicalDevices (ctx->instance, &n, devices);
    }
  if ((result != VK_SUCCESS && result != VK_INCOMPLETE) || n == 0)
    {
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                   "no Vulkan device found (no driver reports one); install a Vulkan driver");
      return FALSE;
    }

  for (guint32 i = 0; i < n; i++)
    {
      VkPhysicalDeviceProperties props;
      g_autofree char *name = NULL;
      guint32 family;
      int rank;

      ctx->vkGetPhysicalDeviceProperties (devices[i], &props);
      name = g_ascii_strdown (props.deviceName, -1);
      g_string_append_printf (listing, "%s%s (%s)", i ? ", " : "",
                              props.deviceName, device_type_label (props.deviceType));
      if (props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && cpu_hint == NULL)
        cpu_hint = filter_hint (props.deviceName);
      if (!find_compute_queue (ctx, devices[i], &family))
        continue;
      if (filter != NULL)
        rank = strstr (name, filter) != NULL ? 1 : -1;
      else
        rank = device_type_rank (props.deviceType) > 0 ? device_type_rank (props.deviceType) : -1;
      if (rank > best_rank)
        {
          best = i;
          best_rank = rank;
          best_family = family;
        }
    }

  if (best < 0)
    {
      if (filter != NULL)
        g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                     "no Vulkan device matches AVE_VULKAN_DEVICE=\"%s\" (devices: %s)",
                     device_filter, listing->str);
      else if (cpu_hint != NULL)
        g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                     "no Vulkan device found (devices: %s); set AVE_VULKAN_DEVICE=%s to use the CPU Vulkan device",
                     listing->str, cpu_hint);
      else
        g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                     "no Vulkan device with compute queues found (devices: %s)", listing->str);
      return FALSE;
    }

  ctx->physical = devices[best];
  ctx->queue_family = best_family;
  ctx->vkGetPhysicalDeviceProperties (ctx->physical, &ctx->props);
  ctx->vkGetPhysicalDeviceMemoryProperties (ctx->physical, &ctx->mem_props);
  return TRUE;
}

static gboolean
has_memory_type (AveVkContext          *ctx,
                 VkMemoryPropertyFlags  flags)
{
  for (guint32 i = 0; i < ctx->mem_props.memoryTypeCount; i++)
    if ((ctx->mem_props.memoryTypes[i].propertyFlags & flags) == flags)
      return TRUE;
  return FALSE;
}

/* The first type allowed by `bits` that has all of `required`, preferring
 * ones that also have `preferred` and lack `avoided`. */
static gint
find_memory_type (AveVkContext          *ctx,
                  guint32                bits,
                  VkMemoryPropertyFlags  required,
                  VkMemoryPropertyFlags  preferred,
                  VkMemoryPropertyFlags  avoided)
{
  gint best = -1, best_score = -1;

  for (guint32 i = 0; i < ctx->mem_props.memoryTypeCount; i++)
    {
      VkMemoryPropertyFlags f = ctx->mem_props.memoryTypes[i].propertyFlags;
      int score;

      if (!(bits & (1u << i)) || (f & required) != required)
        continue;
      score = ((f & preferred) == preferred ? 2 : 0) + ((f & avoided) == 0 ? 1 : 0);
      if (score > best_score)
        {
          best = i;
          best_score = score;
        }
    }
  return best;
}

static gboolean
create_device (AveVkContext  *ctx,
               GError       **error)
{
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = ctx->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  VkDeviceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue,
  };
  VkResult result;

  result = ctx->vkCreateDevice (ctx->physical, &info, NULL, &ctx->device);
  if (result != VK_SUCCESS)
    {
      ctx->device = VK_NULL_HANDLE;
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                   "the Vulkan device %s could not be opened (%s)",
                   ctx->props.deviceName, _ave_vk_result_to_string (result));
      return FALSE;
    }

#define AVE_VK_LOAD_DEVICE(name) \
  ctx->name = (PFN_##name) ctx->vkGetDeviceProcAddr (ctx->device, #name); \
  if (ctx->name == NULL) \
    { \
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE, \
                   "the Vulkan driver for %s lacks %s", ctx->props.deviceName, #name); \
      return FALSE; \
    }
  AVE_VK_DEVICE_FUNCS (AVE_VK_LOAD_DEVICE)
#undef AVE_VK_LOAD_DEVICE

  ctx->vkGetDeviceQueue (ctx->device, ctx->queue_family, 0, &ctx->queue);

  /* Kernels read host-mapped memory directly only where that memory is the
   * device's own (integrated GPUs, lavapipe); a discrete GPU reading across
   * PCIe in every shader access would be far slower than one bulk copy. */
  ctx->unified = (ctx->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ||
                  ctx->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU) &&
                 has_memory_type (ctx, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
  /* AVE_VULKAN_STAGING=1 takes the discrete-GPU path (staging copies) on
   * any device, so the tests exercise it on lavapipe too. */
  if (g_strcmp0 (g_getenv ("AVE_VULKAN_STAGING"), "1") == 0)
    ctx->unified = FALSE;
  ctx->max_buffer_bytes = ctx->props.limits.maxStorageBufferRange;
  return TRUE;
}

static gboolean
create_pipelines (AveVkContext  *ctx,
                  GError       **error)
{
  VkDescriptorSetLayoutBinding bindings[2] = {
    { .binding = 0, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
    { .binding = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
  };
  VkDescriptorSetLayoutCreateInfo set_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
    .bindingCount = G_N_ELEMENTS (bindings),
    .pBindings = bindings,
  };
  VkPushConstantRange push = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .offset = 0,
    .size = AVE_VK_PUSH_CONSTANT_BYTES,
  };
  VkPipelineLayoutCreateInfo layout_info = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
    .setLayoutCount = 1,
    .pSetLayouts = &ctx->set_layout,
    .pushConstantRangeCount = 1,
    .pPushConstantRanges = &push,
  };
  GResource *resource = ave_shaders_get_resource ();

  if (!check (ctx, ctx->vkCreateDescriptorSetLayout (ctx->device, &set_info, NULL, &ctx->set_layout),
              "vkCreateDescriptorSetLayout", error))
    return FALSE;
  if (!check (ctx, ctx->vkCreatePipelineLayout (ctx->device, &layout_info, NULL, &ctx->pipeline_layout),
              "vkCreatePipelineLayout", error))
    return FALSE;

  for (guint k = 0; k < AVE_VK_N_KERNELS; k++)
    {
      g_autofree char *path = g_strconcat (SHADER_RESOURCE_PREFIX, kernel_shaders[k], NULL);
      g_autoptr(GBytes) code = NULL;
      g_autoptr(GError) local_error = NULL;
      VkShaderModuleCreateInfo module_info = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO };
      VkShaderModule module = VK_NULL_HANDLE;
      VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {
          .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
          .stage = VK_SHADER_STAGE_COMPUTE_BIT,
          .pName = "main",
        },
        .layout = ctx->pipeline_layout,
      };
      VkResult result;
      gsize size = 0;

      code = g_resource_lookup_data (resource, path, G_RESOURCE_LOOKUP_FLAGS_NONE, &local_error);
      if (code == NULL)
        {
          g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_UNAVAILABLE,
                       "the compute shader %s is missing from the build: %s",
                       kernel_shaders[k], local_error->message);
          return FALSE;
        }
      /* GResource data is aligned for any type, as SPIR-V words need. */
      module_info.pCode = g_bytes_get_data (code, &size);
      module_info.codeSize = size;
      if (!check (ctx, ctx->vkCreateShaderModule (ctx->device, &module_info, NULL, &module),
                  "vkCreateShaderModule", error))
        return FALSE;
      info.stage.module = module;
      result = ctx->vkCreateComputePipelines (ctx->device, VK_NULL_HANDLE, 1, &info, NULL, &ctx->pipelines[k]);
      ctx->vkDestroyShaderModule (ctx->device, module, NULL);
      if (!check (ctx, result, "vkCreateComputePipelines", error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
create_slots (AveVkContext  *ctx,
              GError       **error)
{
  /* One set per slot, and a second (work -> out) per chained slot. */
  enum { N_SETS = AVE_VK_N_ALL_SLOTS + AVE_VK_N_CHAINED };
  VkDescriptorPoolSize pool_size = {
    .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
    .descriptorCount = 2 * N_SETS,
  };
  VkDescriptorPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = N_SETS,
    .poolSizeCount = 1,
    .pPoolSizes = &pool_size,
  };
  VkCommandPoolCreateInfo cmd_pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = ctx->queue_family,
  };
  VkCommandBuffer cmds[AVE_VK_N_ALL_SLOTS];
  VkDescriptorSet sets[N_SETS];
  VkDescriptorSetLayout layouts[N_SETS];
  VkCommandBufferAllocateInfo cmd_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = AVE_VK_N_ALL_SLOTS,
  };
  VkDescriptorSetAllocateInfo set_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorSetCount = N_SETS,
    .pSetLayouts = layouts,
  };
  guint32 n_families = 0;
  g_autofree VkQueueFamilyProperties *families = NULL;

  for (guint i = 0; i < N_SETS; i++)
    layouts[i] = ctx->set_layout;

  if (!check (ctx, ctx->vkCreateDescriptorPool (ctx->device, &pool_info, NULL, &ctx->descriptor_pool),
              "vkCreateDescriptorPool", error))
    return FALSE;
  set_info.descriptorPool = ctx->descriptor_pool;
  if (!check (ctx, ctx->vkAllocateDescriptorSets (ctx->device, &set_info, sets),
              "vkAllocateDescriptorSets", error))
    return FALSE;
  if (!check (ctx, ctx->vkCreateCommandPool (ctx->device, &cmd_pool_info, NULL, &ctx->command_pool),
              "vkCreateCommandPool", error))
    return FALSE;
  cmd_info.commandPool = ctx->command_pool;
  if (!check (ctx, ctx->vkAllocateCommandBuffers (ctx->device, &cmd_info, cmds),
              "vkAllocateCommandBuffers", error))
    return FALSE;

  for (guint i = 0; i < AVE_VK_N_ALL_SLOTS; i++)
    {
      VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

      ctx->slots[i].cmd = cmds[i];
      ctx->slots[i].set = sets[i];
      if (i >= AVE_VK_CHAINED_SLOT && i < AVE_VK_CHAINED_SLOT + AVE_VK_N_CHAINED)
        ctx->slots[i].set_work = sets[AVE_VK_N_ALL_SLOTS + i - AVE_VK_CHAINED_SLOT];
      if (!check (ctx, ctx->vkCreateFence (ctx->device, &fence_info, NULL, &ctx->slots[i].fence),
                  "vkCreateFence", error))
        return FALSE;
    }

  /* Timestamps are optional: without them the benchmark reports host times only. */
  ctx->vkGetPhysicalDeviceQueueFamilyProperties (ctx->physical, &n_families, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (n_families, 1));
  ctx->vkGetPhysicalDeviceQueueFamilyProperties (ctx->physical, &n_families, families);
  if (ctx->queue_family < n_families && families[ctx->queue_family].timestampValidBits > 0 &&
      ctx->props.limits.timestampPeriod > 0)
    {
      guint bits = families[ctx->queue_family].timestampValidBits;
      VkQueryPoolCreateInfo query_info = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = AVE_VK_N_TS * AVE_VK_N_ALL_SLOTS,
      };

      if (ctx->vkCreateQueryPool (ctx->device, &query_info, NULL, &ctx->query_pool) != VK_SUCCESS)
        ctx->query_pool = VK_NULL_HANDLE;
      ctx->timestamp_ns = ctx->props.limits.timestampPeriod;
      ctx->timestamp_mask = bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << bits) - 1;
    }
  return TRUE;
}

AveVkContext *
_ave_vk_context_new (const char  *device_filter,
                     guint64      memory_limit_bytes,
                     GError     **error)
{
  AveVkContext *ctx = g_new0 (AveVkContext, 1);

  ctx->memory_limit = memory_limit_bytes;
  if (!load_loader (ctx, error) ||
      !create_instance (ctx, error) ||
      !pick_device (ctx, device_filter, error) ||
      !create_device (ctx, error) ||
      !create_pipelines (ctx, error) ||
      !create_slots (ctx, error))
    {
      _ave_vk_context_free (ctx);
      return NULL;
    }
  g_debug ("Vulkan device %s (%s), %s memory, max storage buffer %" G_GUINT64_FORMAT " bytes",
           ctx->props.deviceName, device_type_label (ctx->props.deviceType),
           ctx->unified ? "unified" : "staged", (guint64) ctx->max_buffer_bytes);
  return ctx;
}

static void
buffer_destroy (AveVkContext *ctx,
                AveVkBuffer  *buf)
{
  if (buf->map != NULL)
    ctx->vkUnmapMemory (ctx->device, buf->memory);
  if (buf->buffer != VK_NULL_HANDLE)
    ctx->vkDestroyBuffer (ctx->device, buf->buffer, NULL);
  if (buf->memory != VK_NULL_HANDLE)
    ctx->vkFreeMemory (ctx->device, buf->memory, NULL);
  ctx->allocated -= buf->allocated;
  memset (buf, 0, sizeof *buf);
}

static void
slot_release (AveVkContext *ctx,
              AveVkSlot    *slot)
{
  g_return_if_fail (!slot->pending);

  buffer_destroy (ctx, &slot->in_host);
  buffer_destroy (ctx, &slot->out_host);
  buffer_destroy (ctx, &slot->in_dev);
  buffer_destroy (ctx, &slot->out_dev);
  buffer_destroy (ctx, &slot->work);
  slot->set_valid = FALSE;
}

void
_ave_vk_slot_release (AveVkContext *ctx,
                      guint         index)
{
  slot_release (ctx, &ctx->slots[index]);
}

void
_ave_vk_context_free (AveVkContext *ctx)
{
  if (ctx == NULL)
    return;
  if (ctx->device != VK_NULL_HANDLE)
    {
      /* Only at teardown: nothing may still read the buffers we free. */
      ctx->vkDeviceWaitIdle (ctx->device);
      for (guint i = 0; i < AVE_VK_N_ALL_SLOTS; i++)
        {
          ctx->slots[i].pending = FALSE;
          slot_release (ctx, &ctx->slots[i]);
          if (ctx->slots[i].fence != VK_NULL_HANDLE)
            ctx->vkDestroyFence (ctx->device, ctx->slots[i].fence, NULL);
        }
      if (ctx->query_pool != VK_NULL_HANDLE)
        ctx->vkDestroyQueryPool (ctx->device, ctx->query_pool, NULL);
      if (ctx->command_pool != VK_NULL_HANDLE)
        ctx->vkDestroyCommandPool (ctx->device, ctx->command_pool, NULL);
      if (ctx->descriptor_pool != VK_NULL_HANDLE)
        ctx->vkDestroyDescriptorPool (ctx->device, ctx->descriptor_pool, NULL);
      for (guint k = 0; k < AVE_VK_N_KERNELS; k++)
        if (ctx->pipelines[k] != VK_NULL_HANDLE)
          ctx->vkDestroyPipeline (ctx->device, ctx->pipelines[k], NULL);
      if (ctx->pipeline_layout != VK_NULL_HANDLE)
        ctx->vkDestroyPipelineLayout (ctx->device, ctx->pipeline_layout, NULL);
      if (ctx->set_layout != VK_NULL_HANDLE)
        ctx->vkDestroyDescriptorSetLayout (ctx->device, ctx->set_layout, NULL);
      ctx->vkDestroyDevice (ctx->device, NULL);
    }
  if (ctx->instance != VK_NULL_HANDLE && ctx->vkDestroyInstance != NULL)
    ctx->vkDestroyInstance (ctx->instance, NULL);
  if (ctx->loader != NULL)
    dlclose (ctx->loader);
  g_free (ctx);
}

static VkDeviceSize
round_granule (VkDeviceSize size)
{
  return (MAX (size, 4) + BUFFER_GRANULE - 1) / BUFFER_GRANULE * BUFFER_GRANULE;
}

VkDeviceSize
_ave_vk_context_footprint (AveVkContext *ctx,
                           VkDeviceSize  in_bytes,
                           VkDeviceSize  out_bytes)
{
  VkDeviceSize one = round_granule (in_bytes) + round_granule (out_bytes);

  return ctx->unified ? one : 2 * one;
}

VkDeviceSize
_ave_vk_chained_footprint (AveVkContext *ctx,
                           VkDeviceSize  in_bytes,
                           VkDeviceSize  work_bytes,
                           VkDeviceSize  out_bytes)
{
  return _ave_vk_context_footprint (ctx, in_bytes, out_bytes) + round_granule (work_bytes);
}

static char *
format_mib (guint64 bytes)
{
  return g_strdup_printf ("%.1f MiB", bytes / (1024.0 * 1024.0));
}

static gboolean
buffer_create (AveVkContext  *ctx,
               AveVkBuffer   *buf,
               VkDeviceSize   size,
               gboolean       host,
               gboolean       download,
               GError       **error)
{
  VkBufferCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = round_granule (size),
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
             VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
             VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements req;
  VkMemoryAllocateInfo alloc = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
  gint type;
  VkResult result;

  if (!check (ctx, ctx->vkCreateBuffer (ctx->device, &info, NULL, &buf->buffer), "vkCreateBuffer", error))
    return FALSE;
  ctx->vkGetBufferMemoryRequirements (ctx->device, buf->buffer, &req);

  if (!host)
    type = find_memory_type (ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                             0, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
  else if (ctx->unified)
    type = find_memory_type (ctx, req.memoryTypeBits,
                             VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                             VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                             download ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : 0, 0);
  else if (download)
    /* Reads from uncached memory are slow; cached memory needs invalidating. */
    type = find_memory_type (ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                             VK_MEMORY_PROPERTY_HOST_CACHED_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  else
    type = find_memory_type (ctx, req.memoryTypeBits,
                             VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                             0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  if (type < 0)
    {
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "Vulkan: %s offers no suitable memory type for %s buffers",
                   ctx->props.deviceName, host ? "host" : "device");
      return FALSE;
    }

  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = type;
  result = ctx->vkAllocateMemory (ctx->device, &alloc, NULL, &buf->memory);
  if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
    {
      g_autofree char *mib = format_mib (req.size);
      buf->memory = VK_NULL_HANDLE;
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "Vulkan: %s has no room for a %s buffer (%s); lower --gpu-memory or use the CPU backend",
                   ctx->props.deviceName, mib, _ave_vk_result_to_string (result));
      return FALSE;
    }
  if (!check (ctx, result, "vkAllocateMemory", error))
    {
      buf->memory = VK_NULL_HANDLE;
      return FALSE;
    }
  buf->allocated = req.size;
  buf->size = info.size;
  ctx->allocated += req.size;
  if (!check (ctx, ctx->vkBindBufferMemory (ctx->device, buf->buffer, buf->memory, 0),
              "vkBindBufferMemory", error))
    return FALSE;
  if (host)
    {
      buf->coherent = (ctx->mem_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
      if (!check (ctx, ctx->vkMapMemory (ctx->device, buf->memory, 0, VK_WHOLE_SIZE, 0, &buf->map),
                  "vkMapMemory", error))
        {
          buf->map = NULL;
          return FALSE;
        }
    }
  return TRUE;
}

static VkDeviceSize
slot_footprint (AveVkSlot *slot)
{
  return slot->in_host.allocated + slot->out_host.allocated +
         slot->in_dev.allocated + slot->out_dev.allocated + slot->work.allocated;
}

static void
slot_update_descriptors (AveVkContext *ctx,
                         AveVkSlot    *slot)
{
  VkDescriptorBufferInfo buffers[2] = {
    { .buffer = ctx->unified ? slot->in_host.buffer : slot->in_dev.buffer, .range = VK_WHOLE_SIZE },
    { .buffer = ctx->unified ? slot->out_host.buffer : slot->out_dev.buffer, .range = VK_WHOLE_SIZE },
  };
  VkWriteDescriptorSet writes[2];

  for (guint i = 0; i < 2; i++)
    writes[i] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = slot->set,
      .dstBinding = i,
      .descriptorCount = 1,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .pBufferInfo = &buffers[i],
    };
  ctx->vkUpdateDescriptorSets (ctx->device, 2, writes, 0, NULL);
  slot->set_valid = TRUE;
}

gboolean
_ave_vk_slot_reserve (AveVkContext  *ctx,
                      guint          index,
                      VkDeviceSize   in_bytes,
                      VkDeviceSize   out_bytes,
                      GError       **error)
{
  AveVkSlot *slot = &ctx->slots[index];
  VkDeviceSize want_in, want_out, needed;

  if (!_ave_vk_slot_wait (ctx, index, error))
    return FALSE;

  if (in_bytes > ctx->max_buffer_bytes || out_bytes > ctx->max_buffer_bytes)
    {
      g_autofree char *need = format_mib (MAX (in_bytes, out_bytes));
      g_autofree char *max = format_mib (ctx->max_buffer_bytes);
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "Vulkan: %s cannot bind a %s buffer (its limit is %s); use smaller frames or the CPU backend",
                   ctx->props.deviceName, need, max);
      return FALSE;
    }

  slot->in_bytes = in_bytes;
  slot->out_bytes = out_bytes;
  if (slot->in_host.size >= in_bytes && slot->out_host.size >= out_bytes && slot->set_valid)
    return TRUE;

  /* Grow to the larger of old and new so alternating sizes do not thrash,
   * unless only the exact size fits under the limit. */
  want_in = MAX (in_bytes, slot->in_host.size);
  want_out = MAX (out_bytes, slot->out_host.size);
  if (ctx->memory_limit > 0 &&
      ctx->allocated - slot_footprint (slot) + _ave_vk_context_footprint (ctx, want_in, want_out) > ctx->memory_limit)
    {
      want_in = in_bytes;
      want_out = out_bytes;
    }
  needed = _ave_vk_context_footprint (ctx, want_in, want_out);
  if (ctx->memory_limit > 0 && ctx->allocated - slot_footprint (slot) + needed > ctx->memory_limit)
    {
      for (guint i = 0; i < AVE_VK_N_SLOTS; i++)
        if (i != index && !ctx->slots[i].pending)
          slot_release (ctx, &ctx->slots[i]);
      /* The frame chain keeps nothing between frames: a card's conversion
       * between two composed frames may have its memory. */
      if (!ctx->slots[AVE_VK_CHAIN_SLOT].pending)
        slot_release (ctx, &ctx->slots[AVE_VK_CHAIN_SLOT]);
    }
  if (ctx->memory_limit > 0 && needed > ctx->memory_limit)
    {
      g_autofree char *need = format_mib (needed);
      g_autofree char *limit = format_mib (ctx->memory_limit);
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "the GPU memory limit (%s) is too small: this operation needs %s; raise --gpu-memory or use the CPU backend",
                   limit, need);
      return FALSE;
    }
  if (ctx->memory_limit > 0 && ctx->allocated - slot_footprint (slot) + needed > ctx->memory_limit)
    {
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "the GPU memory limit is taken by a running batch; raise --gpu-memory");
      return FALSE;
    }

  slot_release (ctx, slot);
  if (!buffer_create (ctx, &slot->in_host, want_in, TRUE, FALSE, error) ||
      !buffer_create (ctx, &slot->out_host, want_out, TRUE, TRUE, error))
    {
      slot_release (ctx, slot);
      return FALSE;
    }
  if (!ctx->unified &&
      (!buffer_create (ctx, &slot->in_dev, want_in, FALSE, FALSE, error) ||
       !buffer_create (ctx, &slot->out_dev, want_out, FALSE, FALSE, error)))
    {
      slot_release (ctx, slot);
      return FALSE;
    }
  slot_update_descriptors (ctx, slot);
  return TRUE;
}

static void
write_set (AveVkContext    *ctx,
           VkDescriptorSet  set,
           VkBuffer         in,
           VkBuffer         out)
{
  VkDescriptorBufferInfo buffers[2] = {
    { .buffer = in, .range = VK_WHOLE_SIZE },
    { .buffer = out, .range = VK_WHOLE_SIZE },
  };
  VkWriteDescriptorSet writes[2];

  for (guint i = 0; i < 2; i++)
    writes[i] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = set,
      .dstBinding = i,
      .descriptorCount = 1,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .pBufferInfo = &buffers[i],
    };
  ctx->vkUpdateDescriptorSets (ctx->device, 2, writes, 0, NULL);
}

/* Replaces a host buffer and its device-local twin (on a staged device)
 * with ones of `size` bytes. */
static gboolean
staged_pair_create (AveVkContext  *ctx,
                    AveVkBuffer   *host,
                    AveVkBuffer   *dev,
                    VkDeviceSize   size,
                    gboolean       download,
                    GError       **error)
{
  buffer_destroy (ctx, host);
  buffer_destroy (ctx, dev);
  if (!buffer_create (ctx, host, size, TRUE, download, error))
    return FALSE;
  return ctx->unified || buffer_create (ctx, dev, size, FALSE, FALSE, error);
}

/* Whether the device can bind a storage buffer of `bytes`. */
static gboolean
check_bindable (AveVkContext  *ctx,
                VkDeviceSize   bytes,
                GError       **error)
{
  g_autofree char *need = NULL;
  g_autofree char *max = NULL;

  if (bytes <= ctx->max_buffer_bytes)
    return TRUE;
  need = format_mib (bytes);
  max = format_mib (ctx->max_buffer_bytes);
  g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
               "Vulkan: %s cannot bind a %s buffer (its limit is %s); use smaller frames or the CPU backend",
               ctx->props.deviceName, need, max);
  return FALSE;
}

gboolean
_ave_vk_chained_reserve (AveVkContext  *ctx,
                         guint          index,
                         VkDeviceSize   in_bytes,
                         VkDeviceSize   work_bytes,
                         VkDeviceSize   out_bytes,
                         GError       **error)
{
  AveVkSlot *slot = &ctx->slots[index];
  gboolean grow_in, grow_work, grow_out;
  VkDeviceSize freed = 0, needed = 0;
  guint mult = ctx->unified ? 1 : 2;

  g_return_val_if_fail (index >= AVE_VK_CHAINED_SLOT && index < AVE_VK_N_ALL_SLOTS, FALSE);
  if (!_ave_vk_slot_wait (ctx, index, error))
    return FALSE;

  if (!check_bindable (ctx, MAX (MAX (in_bytes, work_bytes), out_bytes), error))
    return FALSE;

  grow_in = slot->in_host.size < in_bytes;
  grow_work = slot->work.size < work_bytes;
  grow_out = slot->out_host.size < out_bytes;
  if (!grow_in && !grow_work && !grow_out && slot->set_valid)
    return TRUE;

  /* Exact sizes: the caller sized the batch to the limit. */
  if (grow_in)
    {
      freed += slot->in_host.allocated + slot->in_dev.allocated;
      needed += mult * round_granule (in_bytes);
    }
  if (grow_work)
    {
      freed += slot->work.allocated;
      needed += round_granule (work_bytes);
    }
  if (grow_out)
    {
      freed += slot->out_host.allocated + slot->out_dev.allocated;
      needed += mult * round_granule (out_bytes);
    }
  if (ctx->memory_limit > 0 && ctx->allocated - freed + needed > ctx->memory_limit)
    for (guint i = 0; i < AVE_VK_N_SLOTS; i++)
      if (!ctx->slots[i].pending)
        slot_release (ctx, &ctx->slots[i]);
  if (ctx->memory_limit > 0 && ctx->allocated - freed + needed > ctx->memory_limit)
    {
      g_autofree char *need = format_mib (ctx->allocated - freed + needed);
      g_autofree char *limit = format_mib (ctx->memory_limit);
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "the GPU memory limit (%s) is too small: this analysis needs %s; raise --gpu-memory or use the CPU backend",
                   limit, need);
      return FALSE;
    }

  slot->set_valid = FALSE;
  if ((grow_in && !staged_pair_create (ctx, &slot->in_host, &slot->in_dev, in_bytes, FALSE, error)) ||
      (grow_out && !staged_pair_create (ctx, &slot->out_host, &slot->out_dev, out_bytes, TRUE, error)))
    {
      slot_release (ctx, slot);
      return FALSE;
    }
  if (grow_work)
    {
      buffer_destroy (ctx, &slot->work);
      if (!buffer_create (ctx, &slot->work, work_bytes, FALSE, FALSE, error))
        {
          slot_release (ctx, slot);
          return FALSE;
        }
    }
  write_set (ctx, slot->set, ctx->unified ? slot->in_host.buffer : slot->in_dev.buffer, slot->work.buffer);
  write_set (ctx, slot->set_work, slot->work.buffer,
             ctx->unified ? slot->out_host.buffer : slot->out_dev.buffer);
  slot->set_valid = TRUE;
  return TRUE;
}

static void
memory_barrier (AveVkContext         *ctx,
                VkCommandBuffer       cmd,
                VkPipelineStageFlags  src_stage,
                VkAccessFlags         src_access,
                VkPipelineStageFlags  dst_stage,
                VkAccessFlags         dst_access)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = src_access,
    .dstAccessMask = dst_access,
  };

  ctx->vkCmdPipelineBarrier (cmd, src_stage, dst_stage, 0, 1, &barrier, 0, NULL, 0, NULL);
}

static void
timestamp (AveVkContext         *ctx,
           guint                 index,
           VkPipelineStageFlagBits stage,
           guint                 which)
{
  if (ctx->query_pool != VK_NULL_HANDLE)
    ctx->vkCmdWriteTimestamp (ctx->slots[index].cmd, stage, ctx->query_pool, index * AVE_VK_N_TS + which);
}

/* Starts recording slot `index`'s command buffer (after a lost device:
 * the error every later call gets). */
static gboolean
record_begin (AveVkContext  *ctx,
              guint          index,
              GError       **error)
{
  VkCommandBuffer cmd = ctx->slots[index].cmd;
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };

  if (ctx->lost)
    {
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "Vulkan: the device %s was lost earlier; use the CPU backend", ctx->props.deviceName);
      return FALSE;
    }
  if (!check (ctx, ctx->vkResetCommandBuffer (cmd, 0), "vkResetCommandBuffer", error) ||
      !check (ctx, ctx->vkBeginCommandBuffer (cmd, &begin), "vkBeginCommandBuffer", error))
    return FALSE;
  if (ctx->query_pool != VK_NULL_HANDLE)
    ctx->vkCmdResetQueryPool (cmd, ctx->query_pool, index * AVE_VK_N_TS, AVE_VK_N_TS);
  timestamp (ctx, index, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, AVE_VK_TS_BEGIN);
  return TRUE;
}

/* The results in `out` (the slot's output buffer, device-local or not)
 * made readable by the host, copied down where they are not in its memory. */
static void
record_download (AveVkContext *ctx,
                 guint         index,
                 VkBuffer      out)
{
  AveVkSlot *slot = &ctx->slots[index];
  VkCommandBuffer cmd = slot->cmd;

  if (!ctx->unified)
    {
      VkBufferCopy region = { .size = slot->out_bytes };

      memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                      VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
      if (slot->out_bytes > 0)
        ctx->vkCmdCopyBuffer (cmd, out, slot->out_host.buffer, 1, &region);
      ctx->timings.download_bytes += slot->out_bytes;
      memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                      VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    }
  else
    memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                    VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_DOWNLOADED);
}

/* Ends slot `index`'s command buffer and submits it with the slot's fence. */
static gboolean
record_submit (AveVkContext  *ctx,
               guint          index,
               GError       **error)
{
  AveVkSlot *slot = &ctx->slots[index];
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &slot->cmd,
  };

  if (!check (ctx, ctx->vkEndCommandBuffer (slot->cmd), "vkEndCommandBuffer", error) ||
      !check (ctx, ctx->vkResetFences (ctx->device, 1, &slot->fence), "vkResetFences", error) ||
      !check (ctx, ctx->vkQueueSubmit (ctx->queue, 1, &submit, slot->fence), "vkQueueSubmit", error))
    return FALSE;
  slot->pending = TRUE;
  ctx->timings.submissions++;
  return TRUE;
}

gboolean
_ave_vk_slot_submit (AveVkContext  *ctx,
                     guint          index,
                     AveVkKernel    kernel,
                     const void    *push_constants,
                     gsize          push_constants_size,
                     guint32        groups_x,
                     guint32        groups_y,
                     guint32        groups_z,
                     VkDeviceSize   zero_out_bytes,
                     GError       **error)
{
  AveVkSlot *slot = &ctx->slots[index];
  VkCommandBuffer cmd = slot->cmd;
  VkBuffer out = ctx->unified ? slot->out_host.buffer : slot->out_dev.buffer;
  gboolean transfers = FALSE;
  guint8 push[AVE_VK_PUSH_CONSTANT_BYTES] = { 0 };

  g_return_val_if_fail (!slot->pending && slot->set_valid, FALSE);
  g_return_val_if_fail (push_constants_size <= sizeof push, FALSE);
  memcpy (push, push_constants, push_constants_size);

  if (!record_begin (ctx, index, error))
    return FALSE;

  if (!ctx->unified && slot->in_bytes > 0)
    {
      VkBufferCopy region = { .size = slot->in_bytes };
      ctx->vkCmdCopyBuffer (cmd, slot->in_host.buffer, slot->in_dev.buffer, 1, &region);
      ctx->timings.upload_bytes += slot->in_bytes;
      transfers = TRUE;
    }
  if (zero_out_bytes > 0)
    {
      ctx->vkCmdFillBuffer (cmd, out, 0, (zero_out_bytes + 3) & ~(VkDeviceSize) 3, 0);
      transfers = TRUE;
    }
  if (transfers)
    memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                    VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_UPLOADED);

  ctx->vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipelines[kernel]);
  ctx->vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipeline_layout,
                                0, 1, &slot->set, 0, NULL);
  ctx->vkCmdPushConstants (cmd, ctx->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT,
                           0, sizeof push, push);
  if (groups_x > 0 && groups_y > 0 && groups_z > 0)
    ctx->vkCmdDispatch (cmd, groups_x, groups_y, groups_z);
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_COMPUTED);

  record_download (ctx, index, out);

  return record_submit (ctx, index, error);
}

gboolean
_ave_vk_chained_submit (AveVkContext         *ctx,
                        guint                 index,
                        VkDeviceSize          in_bytes,
                        guint                 copy_from,
                        VkDeviceSize          copy_src,
                        VkDeviceSize          copy_dst,
                        VkDeviceSize          copy_bytes,
                        VkDeviceSize          zero_out_bytes,
                        VkDeviceSize          out_bytes,
                        const AveVkDispatch  *dispatches,
                        guint                 n_dispatches,
                        GError              **error)
{
  AveVkSlot *slot = &ctx->slots[index];
  VkCommandBuffer cmd = slot->cmd;
  VkBuffer out = ctx->unified ? slot->out_host.buffer : slot->out_dev.buffer;
  const VkPipelineStageFlags device_stages = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
  const VkAccessFlags device_access = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                                      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;

  g_return_val_if_fail (index >= AVE_VK_CHAINED_SLOT && index < AVE_VK_N_ALL_SLOTS, FALSE);
  g_return_val_if_fail (copy_from >= AVE_VK_CHAINED_SLOT && copy_from < AVE_VK_N_ALL_SLOTS, FALSE);
  g_return_val_if_fail (!slot->pending && slot->set_valid, FALSE);
  g_return_val_if_fail (in_bytes <= slot->in_host.size && out_bytes <= slot->out_host.size, FALSE);
  /* Only what this batch packed goes up, only its results come down. */
  slot->in_bytes = in_bytes;
  slot->out_bytes = out_bytes;

  if (!record_begin (ctx, index, error))
    return FALSE;

  /* The previous submission on the other chained slot may still read this
   * slot's work buffer (its copy of the previous frame) or write the one
   * we copy from: wait for all device work queued before. */
  memory_barrier (ctx, cmd, device_stages, device_access, device_stages, device_access);
  if (!ctx->unified && slot->in_bytes > 0)
    {
      VkBufferCopy region = { .size = slot->in_bytes };

      ctx->vkCmdCopyBuffer (cmd, slot->in_host.buffer, slot->in_dev.buffer, 1, &region);
      ctx->timings.upload_bytes += slot->in_bytes;
    }
  if (copy_bytes > 0)
    {
      VkBufferCopy region = { .srcOffset = copy_src, .dstOffset = copy_dst, .size = copy_bytes };

      ctx->vkCmdCopyBuffer (cmd, ctx->slots[copy_from].work.buffer, slot->work.buffer, 1, &region);
    }
  if (zero_out_bytes > 0)
    ctx->vkCmdFillBuffer (cmd, out, 0, (zero_out_bytes + 3) & ~(VkDeviceSize) 3, 0);
  memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_UPLOADED);

  for (guint i = 0; i < n_dispatches; i++)
    {
      const AveVkDispatch *d = &dispatches[i];
      guint8 push[AVE_VK_PUSH_CONSTANT_BYTES] = { 0 };

      g_return_val_if_fail (d->push_constants_size <= sizeof push, FALSE);
      memcpy (push, d->push_constants, d->push_constants_size);
      /* A kernel reading the work buffer reads what the ones before wrote. */
      if (d->work_in)
        memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
      if (i == 0 || d->kernel != dispatches[i - 1].kernel)
        ctx->vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipelines[d->kernel]);
      if (i == 0 || d->work_in != dispatches[i - 1].work_in)
        ctx->vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipeline_layout,
                                      0, 1, d->work_in ? &slot->set_work : &slot->set, 0, NULL);
      ctx->vkCmdPushConstants (cmd, ctx->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, push);
      if (d->groups_x > 0 && d->groups_y > 0 && d->groups_z > 0)
        ctx->vkCmdDispatch (cmd, d->groups_x, d->groups_y, d->groups_z);
    }
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_COMPUTED);

  record_download (ctx, index, out);

  return record_submit (ctx, index, error);
}

gboolean
_ave_vk_chain_reserve (AveVkContext  *ctx,
                       int            width,
                       int            height,
                       VkDeviceSize   in_bytes,
                       VkDeviceSize   work_bytes,
                       VkDeviceSize   out_bytes,
                       GError       **error)
{
  AveVkSlot *slot = &ctx->slots[AVE_VK_CHAIN_SLOT];
  gboolean grow_in, grow_work, grow_out;
  VkDeviceSize kept, needed;

  if (!_ave_vk_slot_wait (ctx, AVE_VK_CHAIN_SLOT, error))
    return FALSE;
  if (!check_bindable (ctx, MAX (MAX (in_bytes, work_bytes), out_bytes), error))
    return FALSE;

  grow_in = slot->in_host.size < in_bytes;
  grow_work = slot->work.size < work_bytes;
  grow_out = slot->out_host.size < out_bytes;
  if (!grow_in && !grow_work && !grow_out && slot->set_valid)
    return TRUE;

  /* Host buffers only, whatever the device: the work buffer is what the
   * kernels bind, the host ones are only copied from and to. */
  kept = (grow_in ? 0 : slot->in_host.allocated) + (grow_work ? 0 : slot->work.allocated) +
         (grow_out ? 0 : slot->out_host.allocated);
  needed = kept + (grow_in ? round_granule (in_bytes) : 0) + (grow_work ? round_granule (work_bytes) : 0) +
           (grow_out ? round_granule (out_bytes) : 0);
  if (ctx->memory_limit > 0 && ctx->allocated - slot_footprint (slot) + needed > ctx->memory_limit)
    for (guint i = 0; i < AVE_VK_N_SLOTS; i++)
      if (!ctx->slots[i].pending)
        slot_release (ctx, &ctx->slots[i]);
  if (ctx->memory_limit > 0 && ctx->allocated - slot_footprint (slot) + needed > ctx->memory_limit)
    {
      g_autofree char *need = format_mib (needed);
      g_autofree char *limit = format_mib (ctx->memory_limit);
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "the GPU memory limit (%s) is too small to compose one %dx%d frame from its pictures "
                   "(needs %s); raise --gpu-memory or use the CPU backend",
                   limit, width, height, need);
      return FALSE;
    }

  slot->set_valid = FALSE;
  if (grow_in)
    {
      buffer_destroy (ctx, &slot->in_host);
      if (!buffer_create (ctx, &slot->in_host, in_bytes, TRUE, FALSE, error))
        goto fail;
    }
  if (grow_work)
    {
      buffer_destroy (ctx, &slot->work);
      if (!buffer_create (ctx, &slot->work, work_bytes, FALSE, FALSE, error))
        goto fail;
    }
  if (grow_out)
    {
      buffer_destroy (ctx, &slot->out_host);
      if (!buffer_create (ctx, &slot->out_host, out_bytes, TRUE, TRUE, error))
        goto fail;
    }
  write_set (ctx, slot->set, slot->work.buffer, slot->work.buffer);
  slot->set_valid = TRUE;
  return TRUE;

fail:
  slot_release (ctx, slot);
  return FALSE;
}

gboolean
_ave_vk_chain_submit (AveVkContext         *ctx,
                      const VkBufferCopy   *uploads,
                      guint                 n_uploads,
                      const AveVkFill      *fills,
                      guint                 n_fills,
                      const AveVkDispatch  *dispatches,
                      guint                 n_dispatches,
                      VkDeviceSize          result,
                      VkDeviceSize          out_bytes,
                      GError              **error)
{
  guint index = AVE_VK_CHAIN_SLOT;
  AveVkSlot *slot = &ctx->slots[index];
  VkCommandBuffer cmd = slot->cmd;
  VkBufferCopy download = { .srcOffset = result, .dstOffset = 0, .size = out_bytes };
  const VkPipelineStageFlags device_stages = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
  const VkAccessFlags device_access = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                                      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  VkDeviceSize uploaded = 0;

  g_return_val_if_fail (!slot->pending && slot->set_valid, FALSE);
  g_return_val_if_fail (out_bytes > 0 && out_bytes <= slot->out_host.size, FALSE);
  slot->in_bytes = 0;
  slot->out_bytes = out_bytes;

  if (!record_begin (ctx, index, error))
    return FALSE;

  /* The last frame's download has finished (we waited for it), but say
   * so to the device too before its buffers are written again. */
  memory_barrier (ctx, cmd, device_stages, device_access, device_stages, device_access);
  if (n_uploads > 0)
    ctx->vkCmdCopyBuffer (cmd, slot->in_host.buffer, slot->work.buffer, n_uploads, uploads);
  for (guint i = 0; i < n_uploads; i++)
    uploaded += uploads[i].size;
  /* On a unified device the copy stays in the device's memory: no bus. */
  if (!ctx->unified)
    ctx->timings.upload_bytes += uploaded;
  for (guint i = 0; i < n_fills; i++)
    ctx->vkCmdFillBuffer (cmd, slot->work.buffer, fills[i].offset, fills[i].size, fills[i].value);
  memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_UPLOADED);

  ctx->vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipeline_layout,
                                0, 1, &slot->set, 0, NULL);
  for (guint i = 0; i < n_dispatches; i++)
    {
      const AveVkDispatch *d = &dispatches[i];
      guint8 push[AVE_VK_PUSH_CONSTANT_BYTES] = { 0 };

      g_return_val_if_fail (d->push_constants_size <= sizeof push, FALSE);
      memcpy (push, d->push_constants, d->push_constants_size);
      /* Each kernel reads the working frames the ones before wrote. */
      if (i > 0)
        memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
      if (i == 0 || d->kernel != dispatches[i - 1].kernel)
        ctx->vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipelines[d->kernel]);
      ctx->vkCmdPushConstants (cmd, ctx->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, push);
      if (d->groups_x > 0 && d->groups_y > 0 && d->groups_z > 0)
        ctx->vkCmdDispatch (cmd, d->groups_x, d->groups_y, d->groups_z);
    }
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_COMPUTED);

  memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
  ctx->vkCmdCopyBuffer (cmd, slot->work.buffer, slot->out_host.buffer, 1, &download);
  if (!ctx->unified)
    ctx->timings.download_bytes += out_bytes;
  memory_barrier (ctx, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  timestamp (ctx, index, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, AVE_VK_TS_DOWNLOADED);

  return record_submit (ctx, index, error);
}

gboolean
_ave_vk_slot_wait (AveVkContext  *ctx,
                   guint          index,
                   GError       **error)
{
  AveVkSlot *slot = &ctx->slots[index];
  gint64 start;
  VkResult result;

  if (!slot->pending)
    return TRUE;

  start = g_get_monotonic_time ();
  result = ctx->vkWaitForFences (ctx->device, 1, &slot->fence, VK_TRUE, FENCE_TIMEOUT_NS);
  ctx->timings.wait_us += g_get_monotonic_time () - start;
  if (result == VK_TIMEOUT)
    {
      /* The buffers may still be in use: nothing can safely run after this. */
      ctx->lost = TRUE;
      g_set_error (error, AVE_COMPUTE_ERROR, AVE_COMPUTE_ERROR_FAILED,
                   "Vulkan: %s did not finish a batch within %u s; use the CPU backend",
                   ctx->props.deviceName, (guint) (FENCE_TIMEOUT_NS / 1000000000));
      return FALSE;
    }
  if (!check (ctx, result, "vkWaitForFences", error))
    return FALSE;
  slot->pending = FALSE;

  if (ctx->query_pool != VK_NULL_HANDLE)
    {
      guint64 ts[AVE_VK_N_TS];

      if (ctx->vkGetQueryPoolResults (ctx->device, ctx->query_pool, index * AVE_VK_N_TS, AVE_VK_N_TS,
                                      sizeof ts, ts, sizeof ts[0], VK_QUERY_RESULT_64_BIT) == VK_SUCCESS)
        {
          double us = ctx->timestamp_ns / 1000.0;
#define SPAN(a, b) ((double) ((ts[b] - ts[a]) & ctx->timestamp_mask) * us)
          ctx->timings.upload_us += SPAN (AVE_VK_TS_BEGIN, AVE_VK_TS_UPLOADED);
          ctx->timings.compute_us += SPAN (AVE_VK_TS_UPLOADED, AVE_VK_TS_COMPUTED);
          ctx->timings.download_us += SPAN (AVE_VK_TS_COMPUTED, AVE_VK_TS_DOWNLOADED);
#undef SPAN
        }
    }

  if (!slot->out_host.coherent && slot->out_bytes > 0)
    {
      VkMappedMemoryRange range = {
        .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
        .memory = slot->out_host.memory,
        .offset = 0,
        .size = VK_WHOLE_SIZE,
      };
      if (!check (ctx, ctx->vkInvalidateMappedMemoryRanges (ctx->device, 1, &range),
                  "vkInvalidateMappedMemoryRanges", error))
        return FALSE;
    }
  return TRUE;
}
