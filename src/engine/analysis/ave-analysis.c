#define G_LOG_DOMAIN "ave-analysis"
#include "config.h"
