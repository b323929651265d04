#define G_LOG_DOMAIN "ave-limiter"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-compose-private.h"

/* Inter-sample peaks are estimated at 1/4, 2/4 and 3/4 of the way between
 * two samples with a Lanczos (a = 4) kernel over x[n-3] .. x[n+4]: that is
 * what a DAC (or a true-peak meter) reconstructs, and a sine near half the
 * sample rate can peak well above its samples. */
#define N_PHASES     3
#define N_TAPS       8
#define TAP_BEFORE   3   /* taps before the sample: x[n-3] */
#define DETECT_DELAY 4   /* the interpolation needs x[n+4] */

struct _AveLimiter
{
  int      channels;
  float    ceiling;
  gsize    lookahead;        /* L: the gain starts falling this many samples before a peak */
  gsize    latency;          /* L + DETECT_DELAY */
  double   release_coef;
  float    taps[N_PHASES][N_TAPS];
  /* No interpolated value exceeds the largest of its taps' samples times
   * this: where that bound is under the ceiling the taps are not run. */
  float    taps_gain;

  /* input history per channel, indexed by absolute sample number modulo
   * the ring's size, a power of two; its first N_TAPS samples are
   * repeated after the end, so the taps of any sample lie in a row */
  float  **ring;
  gsize    ring_size;
  gint64   n_in;
  float    prev_between_peak; /* interpolated peak between n-1 and n */

  /* Sliding minimum of the required gain over [n-L, n] (monotonic deque):
   * every sample in the window of a peak sees at most the peak's gain. */
  gint64  *min_index;
  float   *min_value;
  gsize    min_head, min_len, min_cap;

  /* Moving average of that minimum over [j, j+L]: turns the step into a
   * ramp that is still <= the required gain at every sample (each average
   * only includes windows that contain sample j). */
  float   *box;
  double   box_sum;
  gsize    box_slot;         /* sample n's: n modulo L + 1 */

  float    gain;             /* after the release smoothing */
  float    min_gain;
};

static double
lanczos (double t)
{
  const double a = 4.0;

  if (fabs (t) < 1e-9)
    return 1.0;
  if (fabs (t) >= a)
    return 0.0;
  return a * sin (G_PI * t) * sin (G_PI * t / a) / (G_PI * G_PI * t * t);
}

AveLimiter *
_ave_limiter_new (int    channels,
                  int    rate,
                  double ceiling_db,
                  double lookahead_s,
                  double release_s)
{
  AveLimiter *self;

  g_return_val_if_fail (channels > 0, NULL);
  g_return_val_if_fail (rate > 0, NULL);

  self = g_new0 (AveLimiter, 1);
  self->channels = channels;
  self->ceiling = (float) pow (10.0, ceiling_db / 20.0);
  self->lookahead = MAX (1, (gsize) lround (lookahead_s * rate));
  self->latency = self->lookahead + DETECT_DELAY;
  self->release_coef = 1.0 - exp (-1.0 / (MAX (release_s, 1e-4) * rate));

  for (int p = 0; p < N_PHASES; p++)
    {
      double frac = (p + 1) / 4.0;
      double sum = 0.0;

      for (int m = 0; m < N_TAPS; m++)
        {
          self->taps[p][m] = (float) lanczos (frac - (m - TAP_BEFORE));
          sum += self->taps[p][m];
        }
      /* Unity gain at DC so a constant signal is not mistaken for a peak. */
      double abs_sum = 0.0;
      for (int m = 0; m < N_TAPS; m++)
        {
          self->taps[p][m] = (float) (self->taps[p][m] / sum);
          abs_sum += fabsf (self->taps[p][m]);
        }
      /* a little over, for the rounding of the float sums */
      self->taps_gain = MAX (self->taps_gain, (float) (abs_sum * 1.0001));
    }

  self->ring_size = 1;
  while (self->ring_size < self->latency + N_TAPS + 8)
    self->ring_size *= 2;
  self->ring = g_new0 (float *, channels);
  for (int c = 0; c < channels; c++)
    self->ring[c] = g_new0 (float, self->ring_size + N_TAPS);

  self->min_cap = self->lookahead + 2;
  self->min_index = g_new0 (gint64, self->min_cap);
  self->min_value = g_new0 (float, self->min_cap);

  self->box = g_new (float, self->lookahead + 1);
  for (gsize i = 0; i <= self->lookahead; i++)
    self->box[i] = 1.0f;
  self->box_sum = (double) (self->lookahead + 1);

  self->gain = 1.0f;
  self->min_gain = 1.0f;
  return self;
}

void
_ave_limiter_free (AveLimiter *self)
{
  if (self == NULL)
    return;
  for (int c = 0; c < self->channels; c++)
    g_free (self->ring[c]);
  g_free (self->ring);
  g_free (self->min_index);
  g_free (self->min_value);
  g_free (self->box);
  g_free (self);
}

gsize
_ave_limiter_get_latency (AveLimiter *self)
{
  return self->latency;
}

double
_ave_limiter_get_max_reduction_db (AveLimiter *self)
{
  return 20.0 * log10 (self->min_gain);
}

/* Samples index .. index + N_TAPS - 1 of a channel, in a row.  Before the
 * first sample they read as silence: the ring's last slots are still
 * zero then (it holds more than latency + N_TAPS samples). */
static inline const float *
history (AveLimiter *self,
         int         channel,
         gint64      index)
{
  return &self->ring[channel][index & (gint64) (self->ring_size - 1)];
}

static inline gsize
wrap (gsize i,
      gsize size)
{
  return i >= size ? i - size : i;
}

/* Feeds one sample per channel (`in` holds one value per channel); when a
 * delayed sample is ready writes it to out[c][out_pos] and returns TRUE. */
static gboolean
limiter_push (AveLimiter  *self,
              const float *in,
              float      **out,
              gsize        out_pos)
{
  gint64 k = self->n_in++;
  gint64 n = k - DETECT_DELAY;
  gint64 j;
  float peak, between = 0.0f, required;

  for (int c = 0; c < self->channels; c++)
    {
      gsize at = (gsize) (k & (gint64) (self->ring_size - 1));

      self->ring[c][at] = in[c];
      if (at < N_TAPS)
        self->ring[c][at + self->ring_size] = in[c];
    }

  if (n < 0)
    return FALSE;

  peak = self->prev_between_peak;
  for (int c = 0; c < self->channels; c++)
    {
      const float *taps = history (self, c, n - TAP_BEFORE);
      float x = fabsf (taps[TAP_BEFORE]);
      float window = 0.0f;

      peak = MAX (peak, x);
      for (int m = 0; m < N_TAPS; m++)
        window = MAX (window, fabsf (taps[m]));
      if (window * self->taps_gain <= self->ceiling)
        {
          /* Every interpolated value here is under the ceiling, and so is
           * this bound: as the peak it asks for no reduction, here or
           * (as prev_between_peak) at the next sample, exactly as the
           * values themselves would. */
          between = MAX (between, window * self->taps_gain);
          continue;
        }
      for (int p = 0; p < N_PHASES; p++)
        {
          float y = 0.0f;

          for (int m = 0; m < N_TAPS; m++)
            y += self->taps[p][m] * taps[m];
          between = MAX (between, fabsf (y));
        }
    }
  peak = MAX (peak, between);
  self->prev_between_peak = between;
  required = peak > self->ceiling ? self->ceiling / peak : 1.0f;

  /* sliding minimum over [n - L, n] */
  while (self->min_len > 0)
    {
      gsize back = wrap (self->min_head + self->min_len - 1, self->min_cap);
      if (self->min_value[back] < required)
        break;
      self->min_len--;
    }
  {
    gsize slot = wrap (self->min_head + self->min_len, self->min_cap);
    self->min_index[slot] = n;
    self->min_value[slot] = required;
    self->min_len++;
  }
  while (self->min_index[self->min_head] < n - (gint64) self->lookahead)
    {
      self->min_head = wrap (self->min_head + 1, self->min_cap);
      self->min_len--;
    }

  {
    float window_min = self->min_value[self->min_head];

    self->box_sum += (double) window_min - (double) self->box[self->box_slot];
    self->box[self->box_slot] = window_min;
    self->box_slot = wrap (self->box_slot + 1, self->lookahead + 1);
  }

  j = n - (gint64) self->lookahead;
  if (j < 0)
    return FALSE;

  {
    float target = (float) (self->box_sum / (double) (self->lookahead + 1));
    float released = self->gain + (1.0f - self->gain) * (float) self->release_coef;

    self->gain = MIN (MIN (target, released), 1.0f);
    self->min_gain = MIN (self->min_gain, self->gain);
  }

  for (int c = 0; c < self->channels; c++)
    out[c][out_pos] = *history (self, c, j) * self->gain;
  return TRUE;
}

gsize
_ave_limiter_process (AveLimiter          *self,
                      const float * const *in,
                      gsize                n_in,
                      float              **out)
{
  float frame[8];
  gsize n_out = 0;

  g_return_val_if_fail (self->channels <= (int) G_N_ELEMENTS (frame), 0);

  /* Output position never passes the input position, so `out` may alias
   * `in`: each input sample is read before its slot can be overwritten. */
  for (gsize i = 0; i < n_in; i++)
    {
      for (int c = 0; c < self->channels; c++)
        frame[c] = in[c][i];
      if (limiter_push (self, frame, out, n_out))
        n_out++;
    }
  return n_out;
}

gsize
_ave_limiter_flush (AveLimiter  *self,
                    float      **out)
{
  float silence[8] = { 0 };
  gsize n_out = 0;

  for (gsize i = 0; i < self->latency; i++)
    if (limiter_push (self, silence, out, n_out))
      n_out++;
  return n_out;
}
