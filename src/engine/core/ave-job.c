#define G_LOG_DOMAIN "ave-job"
#include "config.h"
