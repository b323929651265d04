#define G_LOG_DOMAIN "ave-compute"
#include "config.h"
