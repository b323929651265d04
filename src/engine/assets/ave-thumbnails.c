#define G_LOG_DOMAIN "ave-thumbnails"
#include "config.h"
