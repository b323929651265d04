/* ave-remote-image.h — thumbnail art over the OpenAI-compatible image API
 * (--thumbnail-art remote: OpenAI's images/generations, and the servers
 * that speak it).
 *
 * One prompt, written from the video's title alone, asks for a
 * background with no lettering; the engine writes the text over it
 * (assets/ave-thumbnails.c).  POST {url}/images/generations with model,
 * prompt, n, size 1024x1024 and response_format b64_json; the answer's
 * PNGs are decoded here.  Priced per image (api.prices.<model>.per_image),
 * bounded by the budget before it is sent, an optional call for
 * --cost-aware, and cached with --cache-responses.  The guide's
 * api_optimization.imagen keys choose how many requests and pictures:
 *  - template_reuse: one picture for every variant (only the text differs);
 *  - batch_generation: one request with n = the number of variants,
 *    instead of one request each;
 *  - cache_similar: the response cache keys on the title normalised (case,
 *    punctuation and word order dropped), so similar titles share a
 *    cached picture.
 * A failure leaves the job its frame thumbnails: the caller's fallback.
 */
#pragma once

#include "assets/ave-assets.h"
#include "providers/ave-remote.h"

G_BEGIN_DECLS

#define AVE_REMOTE_IMAGE_SIZE "1024x1024"

/* The pictures (AveRgbaImage, freed with the array) for `variants`
 * thumbnails about `title`: one with template_reuse, else up to
 * `variants` (fewer when a request of several failed; the caller reuses
 * them in turn).  NULL and the cause when none came. */
GPtrArray *ave_remote_image_generate (AveRemote          *remote,
                                      const AveSettings  *settings,
                                      const char         *title,
                                      guint               variants,
                                      GCancellable       *cancellable,
                                      GError            **error);

/* The key the response cache uses for a title with cache_similar: words
 * in lower case, without punctuation, sorted, each once. */
char      *ave_remote_image_normalise_title (const char *title);

G_END_DECLS
