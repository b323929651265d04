#define G_LOG_DOMAIN "ave-media-source"
#include "config.h"
