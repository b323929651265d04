#define G_LOG_DOMAIN "ave-transcriber"
#include "config.h"
