#define G_LOG_DOMAIN "ave-composer"
#include "config.h"
