/* ave-prices.h — what a model costs: data/prices.json (public list prices,
 * embedded) overridden or extended by settings->api_prices (YAML
 * api.prices.<model>, --api-price). */
#pragma once

#include "core/ave-settings.h"

G_BEGIN_DECLS

typedef struct
{
  double input_per_mtok;     /* USD per million prompt tokens */
  double output_per_mtok;    /* USD per million completion tokens */
  double audio_per_minute;   /* USD per minute of audio sent */
  double per_image;          /* USD per image made */
} AvePrice;

/* FALSE when nothing is known of `model`. */
gboolean    ave_prices_lookup   (const AveSettings *settings, const char *model, AvePrice *price);
/* "2025-01": when the shipped list was read. */
const char *ave_prices_as_of    (void);

/* USD of a call with these counts. */
double      ave_price_cost      (const AvePrice *price, guint64 prompt_tokens, guint64 completion_tokens,
                                 double audio_seconds, guint images);

G_END_DECLS
