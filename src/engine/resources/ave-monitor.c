#define G_LOG_DOMAIN "ave-monitor"
#include "config.h"
