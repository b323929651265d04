/* ave-voice-print.c — MFCC prints of utterances and their alignment. */
#define G_LOG_DOMAIN "ave-voice-print"

#include "config.h"

#include <math.h>
#include <aubio/aubio.h>

#include "analysis/ave-voice-print.h"

#define RATE      16000
#define WINDOW    512                      /* 32 ms */
#define HOP       320                      /* 20 ms */
#define N_FILTERS 40
#define N_COEFFS  (AVE_VOICE_PRINT_COEFFS + 1)   /* c0, the loudness, is dropped */

/* Telephone audio carries 300–3400 Hz: the band above this is empty. */
#define HIGH_BAND_HZ 4000

struct _AveVoiceStats
{
  double  sum[AVE_VOICE_PRINT_COEFFS];
  double  sum_squares[AVE_VOICE_PRINT_COEFFS];
  guint64 n_frames;
  double  energy, high_band_energy;   /* spectral power of the frames kept */
};

struct _AveVoicePrint
{
  double  start, end;
  guint   n_frames;
  float  *frames;          /* n_frames × AVE_VOICE_PRINT_COEFFS */
};

AveVoiceStats *
ave_voice_stats_new (void)
{
  return g_new0 (AveVoiceStats, 1);
}

void
ave_voice_stats_free (AveVoiceStats *stats)
{
  g_free (stats);
}

double
ave_voice_stats_get_seconds (const AveVoiceStats *stats)
{
  return stats->n_frames * AVE_VOICE_PRINT_HOP_S;
}

double
ave_voice_stats_get_high_band_db (const AveVoiceStats *stats)
{
  if (stats->energy <= 0)
    return -INFINITY;
  return 10.0 * log10 (MAX (stats->high_band_energy, 1e-30) / stats->energy);
}

void
ave_voice_print_free (AveVoicePrint *print)
{
  if (print == NULL)
    return;
  g_free (print->frames);
  g_free (print);
}

double
ave_voice_print_get_start (const AveVoicePrint *print)
{
  return print->start;
}

double
ave_voice_print_get_end (const AveVoicePrint *print)
{
  return print->end;
}

AveVoicePrint *
ave_voice_print_new (const gint16  *samples,
                     gsize          n_samples,
                     double         start_time,
                     double         quiet_mean_square,
                     double         min_seconds,
                     AveVoiceStats *stats)
{
  guint n_hops = n_samples / HOP;
  g_autofree float *coeffs = NULL;
  g_autofree double *loudness = NULL;
  g_autofree double *energy = NULL;      /* per hop: all, above HIGH_BAND_HZ */
  guint high_bin = HIGH_BAND_HZ * WINDOW / RATE;
  aubio_pvoc_t *pvoc;
  aubio_mfcc_t *mfcc;
  fvec_t *in, *out;
  cvec_t *spectrum;
  guint first, last;
  AveVoicePrint *print;

  g_return_val_if_fail (samples != NULL || n_samples == 0, NULL);
  if (n_hops * AVE_VOICE_PRINT_HOP_S < min_seconds || n_hops < 2)
    return NULL;

  pvoc = new_aubio_pvoc (WINDOW, HOP);
  mfcc = new_aubio_mfcc (WINDOW, N_FILTERS, N_COEFFS, RATE);
  if (pvoc == NULL || mfcc == NULL)
    {
      if (pvoc != NULL)
        del_aubio_pvoc (pvoc);
      if (mfcc != NULL)
        del_aubio_mfcc (mfcc);
      return NULL;
    }
  in = new_fvec (HOP);
  out = new_fvec (N_COEFFS);
  spectrum = new_cvec (WINDOW);
  coeffs = g_new (float, (gsize) n_hops * AVE_VOICE_PRINT_COEFFS);
  loudness = g_new (double, n_hops);
  energy = g_new (double, 2 * (gsize) n_hops);

  for (guint h = 0; h < n_hops; h++)
    {
      const gint16 *s = samples + (gsize) h * HOP;
      double mean_square = 0;

      for (guint i = 0; i < HOP; i++)
        {
          double v = s[i] / 32768.0;
          in->data[i] = (smpl_t) v;
          mean_square += v * v;
        }
      loudness[h] = mean_square / HOP;
      aubio_pvoc_do (pvoc, in, spectrum);
      energy[2 * h] = energy[2 * h + 1] = 0;
      for (guint b = 1; b < spectrum->length; b++)
        {
          double power = (double) spectrum->norm[b] * spectrum->norm[b];

          energy[2 * h] += power;
          if (b >= high_bin)
            energy[2 * h + 1] += power;
        }
      aubio_mfcc_do (mfcc, spectrum, out);
      for (guint c = 0; c < AVE_VOICE_PRINT_COEFFS; c++)
        coeffs[(gsize) h * AVE_VOICE_PRINT_COEFFS + c] = out->data[c + 1];
    }
  del_cvec (spectrum);
  del_fvec (out);
  del_fvec (in);
  del_aubio_mfcc (mfcc);
  del_aubio_pvoc (pvoc);

  /* The phase vocoder's window ends at the end of hop h, so frame h
   * describes the hop and the 192 samples before it: trimming by the
   * hop's own loudness keeps the frames that see sound. */
  for (first = 0; first < n_hops && loudness[first] < quiet_mean_square; first++)
    ;
  for (last = n_hops; last > first && loudness[last - 1] < quiet_mean_square; last--)
    ;
  if ((last - first) * AVE_VOICE_PRINT_HOP_S < min_seconds || last - first < 2)
    return NULL;

  print = g_new0 (AveVoicePrint, 1);
  print->n_frames = last - first;
  print->frames = g_memdup2 (coeffs + (gsize) first * AVE_VOICE_PRINT_COEFFS,
                             (gsize) print->n_frames * AVE_VOICE_PRINT_COEFFS * sizeof (float));
  print->start = start_time + (double) first * HOP / RATE;
  print->end = start_time + (double) last * HOP / RATE;

  for (guint f = 0; f < print->n_frames; f++)
    for (guint c = 0; c < AVE_VOICE_PRINT_COEFFS; c++)
      {
        double v = print->frames[(gsize) f * AVE_VOICE_PRINT_COEFFS + c];
        stats->sum[c] += v;
        stats->sum_squares[c] += v * v;
      }
  stats->n_frames += print->n_frames;
  for (guint h = first; h < last; h++)
    {
      stats->energy += energy[2 * h];
      stats->high_band_energy += energy[2 * h + 1];
    }
  return print;
}

/* Distance between frame i of `a` and frame j of `b`, each scaled by the
 * file's speech so far (mean 0, spread 1). */
static double
frame_distance (const AveVoicePrint *a,
                guint                i,
                const AveVoicePrint *b,
                guint                j,
                const double        *scale)
{
  const float *fa = a->frames + (gsize) i * AVE_VOICE_PRINT_COEFFS;
  const float *fb = b->frames + (gsize) j * AVE_VOICE_PRINT_COEFFS;
  double sum = 0;

  /* the means cancel in the difference */
  for (guint c = 0; c < AVE_VOICE_PRINT_COEFFS; c++)
    {
      double d = ((double) fa[c] - fb[c]) * scale[c];
      sum += d * d;
    }
  return sqrt (sum);
}

gboolean
ave_voice_print_match_prefix (const AveVoicePrint *earlier,
                              const AveVoicePrint *later,
                              const AveVoiceStats *stats,
                              double              *distance,
                              double              *later_end)
{
  double scale[AVE_VOICE_PRINT_COEFFS];
  g_autofree double *cost = NULL, *previous_cost = NULL;
  g_autofree guint *length = NULL, *previous_length = NULL;
  guint n = earlier->n_frames;
  guint m = MIN (later->n_frames, 2 * n);
  double best = G_MAXDOUBLE;
  guint best_j = 0;

  g_return_val_if_fail (distance != NULL && later_end != NULL, FALSE);
  if (m < (n + 1) / 2)
    return FALSE;

  for (guint c = 0; c < AVE_VOICE_PRINT_COEFFS; c++)
    {
      double count = MAX (stats->n_frames, 1);
      double mu = stats->sum[c] / count;
      double variance = stats->sum_squares[c] / count - mu * mu;

      scale[c] = stats->n_frames >= 50 && variance > 1e-9 ? 1.0 / sqrt (variance) : 1.0;
    }

  /* Two rows of the cumulative cost (and path length) over j < m.  The
   * path starts at (0, 0) and moves right, down or diagonally; cells far
   * off any slope between 1/2 and 2 are left out (infinite cost). */
  cost = g_new (double, m);
  previous_cost = g_new (double, m);
  length = g_new (guint, m);
  previous_length = g_new (guint, m);
  for (guint i = 0; i < n; i++)
    {
      guint j_min = i / 2 > 8 ? i / 2 - 8 : 0;
      guint j_max = MIN (m, 2 * i + 9);

      for (guint j = 0; j < m; j++)
        {
          double here, from = G_MAXDOUBLE;
          guint from_length = 0;

          cost[j] = G_MAXDOUBLE;
          if (j < j_min || j >= j_max)
            continue;
          here = frame_distance (earlier, i, later, j, scale);
          if (i == 0 && j == 0)
            {
              cost[j] = here;
              length[j] = 1;
              continue;
            }
          if (i > 0 && previous_cost[j] < from)
            from = previous_cost[j], from_length = previous_length[j];
          if (j > 0 && cost[j - 1] < from)
            from = cost[j - 1], from_length = length[j - 1];
          if (i > 0 && j > 0 && previous_cost[j - 1] < from)
            from = previous_cost[j - 1], from_length = previous_length[j - 1];
          if (from == G_MAXDOUBLE)
            continue;
          cost[j] = from + here;
          length[j] = from_length + 1;
        }
      if (i + 1 < n)
        {
          double *t = previous_cost; guint *l = previous_length;
          previous_cost = cost; previous_length = length;
          cost = t; length = l;
        }
    }

  for (guint j = (n + 1) / 2 > 0 ? (n + 1) / 2 - 1 : 0; j < m; j++)
    if (cost[j] != G_MAXDOUBLE && cost[j] / length[j] < best)
      {
        best = cost[j] / length[j];
        best_j = j;
      }
  if (best == G_MAXDOUBLE)
    return FALSE;
  *distance = best;
  *later_end = later->start + (best_j + 1) * AVE_VOICE_PRINT_HOP_S;
  return TRUE;
}
