#define G_LOG_DOMAIN "ave-audio-analyzer"
#include "config.h"
