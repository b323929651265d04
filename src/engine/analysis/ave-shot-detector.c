#define G_LOG_DOMAIN "ave-shot-detector"
#include "config.h"
