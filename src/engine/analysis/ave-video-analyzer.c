#define G_LOG_DOMAIN "ave-video-analyzer"
#include "config.h"
