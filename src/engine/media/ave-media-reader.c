#define G_LOG_DOMAIN "ave-media-reader"
#include "config.h"
