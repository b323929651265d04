#define G_LOG_DOMAIN "ave-compute-cpu"
#include "config.h"
