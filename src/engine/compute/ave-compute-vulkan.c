#define G_LOG_DOMAIN "ave-compute-vulkan"
#include "config.h"
