#define G_LOG_DOMAIN "ave-media-probe"
#include "config.h"
