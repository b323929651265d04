#define G_LOG_DOMAIN "ave-local-director"
#include "config.h"
