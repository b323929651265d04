#define G_LOG_DOMAIN "ave-metadata"
#include "config.h"
