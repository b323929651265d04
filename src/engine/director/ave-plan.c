#define G_LOG_DOMAIN "ave-plan"
#include "config.h"
