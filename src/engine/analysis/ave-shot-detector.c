#define G_LOG_DOMAIN "ave-shot-detector"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "analysis/ave-shot-detector.h"

/* Hard cuts are judged against the cut scores of the records around them,
 * this many on each side: a busy or noisy shot raises its own bar. */
#define CUT_WINDOW 12
/* "Flat" frames (almost no luma variation) near black or white are the
 * middle of a fade. */
#define FLAT_CONTRAST 12.0
#define DARK_LUMA 40.0
#define BRIGHT_LUMA 210.0
/* A fade ramp moves the mean luma towards black (or white) by at least
 * this much per record, and by RAMP_MIN_CHANGE in all. */
#define RAMP_STEP 0.5
#define RAMP_MIN_CHANGE 20.0
/* Longer gradual changes are camera or content movement, not a dissolve. */
#define MAX_DISSOLVE_SECONDS 3.0

double
_ave_shot_cut_score (const AveFrameRecord *record)
{
  if (!record->has_prev)
    return 0.0;

  /* Histograms alone miss cuts between similar-looking shots; pixel
   * differences alone are fooled by noise.  Each saturates at a level
   * that only a change of picture reaches. */
  return 0.5 * CLAMP (record->hist_prev, 0.0f, 1.0f) +
         0.5 * MIN (1.0, record->diff_prev / 40.0);
}

double
_ave_shot_cut_floor (double shot_threshold)
{
  /* At the default sensitivity (0.35) a change needs ~0.3: e.g. a clear
   * histogram change with a large pixel difference. */
  return 0.12 + 0.5 * shot_threshold;
}

static int
compare_double (const void *a,
                const void *b)
{
  double da = *(const double *) a, db = *(const double *) b;

  return (da > db) - (da < db);
}

static void
add_boundary (GArray            *out,
              guint              index,
              guint              first,
              guint              last,
              AveShotTransition  transition)
{
  AveShotBoundary boundary = { index, first, last, transition };

  g_array_append_val (out, boundary);
}

static gboolean
overlaps_boundary (GArray *boundaries,
                   guint   first,
                   guint   last)
{
  for (guint b = 0; b < boundaries->len; b++)
    {
      const AveShotBoundary *bd = &g_array_index (boundaries, AveShotBoundary, b);

      if (bd->first <= last && bd->last >= first)
        return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------------ fades */

static gboolean
is_flat_extreme (const AveFrameRecord *r,
                 gboolean              dark)
{
  if (r->contrast > FLAT_CONTRAST)
    return FALSE;
  return dark ? r->mean_luma <= DARK_LUMA : r->mean_luma >= BRIGHT_LUMA;
}

/* Records [a, b] are flat black (or white).  Walks out from them while the
 * mean luma keeps moving away from the extreme: the fade-out before, the
 * fade-in after.  Returns whether that is a fade between two shots. */
/* The ramp that leads from record `from` (outside) to record `to` (the
 * first or last flat one) in direction `dir` (-1 backwards, +1 forwards)
 * is a fade when the luma moves steadily: at least two records, and no
 * single step making most of the change (that would be a cut or a flash). */
static gboolean
ramp_is_fade (const AveFrameRecord *records,
              guint                 outer,
              guint                 inner,
              double                sign)
{
  double total = sign * (records[outer].mean_luma - records[inner].mean_luma);
  double largest = 0.0;

  if (MAX (outer, inner) - MIN (outer, inner) < 2 || total < RAMP_MIN_CHANGE)
    return FALSE;
  for (guint j = MIN (outer, inner); j < MAX (outer, inner); j++)
    largest = MAX (largest, fabs (records[j + 1].mean_luma - records[j].mean_luma));
  return largest <= 0.6 * total;
}

/* Records [a, b] are flat black (or white).  Walks out from them while the
 * mean luma keeps moving away from the extreme: the fade-out before, the
 * fade-in after.  Returns whether that is a fade between two shots. */
static gboolean
find_fade (const AveFrameRecord *records,
           guint                 n,
           guint                 a,
           guint                 b,
           gboolean              dark,
           guint                *first,
           guint                *last)
{
  double sign = dark ? 1.0 : -1.0;   /* > 0: brighter than the extreme side */
  guint f = a, l = b;

  while (f > 0 && sign * (records[f - 1].mean_luma - records[f].mean_luma) >= RAMP_STEP)
    f--;
  while (l + 1 < n && sign * (records[l + 1].mean_luma - records[l].mean_luma) >= RAMP_STEP)
    l++;

  /* Content on both sides, and at least one real ramp: a cut to black
   * and a cut back are two cuts around a black shot, and a one-frame
   * white flash has no ramp at all. */
  if (f == 0 || l + 1 >= n)
    return FALSE;
  if (!ramp_is_fade (records, f, a, sign) && !ramp_is_fade (records, l, b, sign))
    return FALSE;

  *first = f;
  *last = l;
  return TRUE;
}

static void
detect_fades (const AveFrameRecord *records,
              guint                 n,
              GArray               *out)
{
  for (int pass = 0; pass < 2; pass++)
    {
      gboolean dark = pass == 0;
      guint i = 0;

      while (i < n)
        {
          guint a, b, first, last;

          if (!is_flat_extreme (&records[i], dark))
            {
              i++;
              continue;
            }
          a = i;
          while (i + 1 < n && is_flat_extreme (&records[i + 1], dark))
            i++;
          b = i;
          i++;

          if (find_fade (records, n, a, b, dark, &first, &last) &&
              !overlaps_boundary (out, first, last))
            {
              /* the middle of the whole transition is the boundary */
              guint middle = (first + last + 1) / 2;

              g_debug ("fade %s: records %u..%u (flat %u..%u), boundary %u",
                       dark ? "through black" : "through white", first, last, a, b, middle);
              add_boundary (out, middle, first, last, AVE_SHOT_TRANSITION_FADE);
            }
        }
    }
}

/* ------------------------------------------------------------------- cuts */

/* Frame i differs from frame i-1 and from frame i+1, but frames i-1 and
 * i+1 are alike: a flash (or a single odd frame), not a new shot. */
static gboolean
is_flash (const AveFrameRecord *records,
          const double         *score,
          guint                 n,
          guint                 i)
{
  const AveFrameRecord *next;

  if (i == 0 || i + 1 >= n)
    return FALSE;
  next = &records[i + 1];
  if (!records[i].has_prev || !next->has_prev || next->hist_skip < 0.0f)
    return FALSE;
  if (score[i + 1] < 0.5 * score[i])
    return FALSE;
  return next->hist_skip <= 0.35 * records[i].hist_prev + 0.02;
}

static void
detect_cuts (const AveFrameRecord *records,
             guint                 n,
             double                shot_threshold,
             GArray               *out)
{
  g_autofree double *score = g_new0 (double, n);
  g_autofree gboolean *flash = g_new0 (gboolean, n);
  g_autofree double *window = g_new (double, 2 * CUT_WINDOW + 1);
  double floor_score = _ave_shot_cut_floor (shot_threshold);
  GArray *gradual = g_array_copy (out);

  for (guint i = 0; i < n; i++)
    score[i] = _ave_shot_cut_score (&records[i]);

  for (guint i = 1; i + 1 < n; i++)
    if (!flash[i] && score[i] >= floor_score && is_flash (records, score, n, i))
      {
        g_debug ("flash at record %u (%.3f s)", i, records[i].pts);
        flash[i] = TRUE;
        flash[i + 1] = TRUE;
      }

  for (guint i = 1; i < n; i++)
    {
      guint lo = i > CUT_WINDOW ? i - CUT_WINDOW : 0;
      guint hi = MIN (n - 1, i + CUT_WINDOW);
      guint n_window = 0;
      double median, threshold;
      gboolean local_max = TRUE;

      if (flash[i] || !records[i].has_prev || records[i].no_cut || score[i] < floor_score)
        continue;
      /* within a fade the steps are the fade's own */
      if (overlaps_boundary (gradual, i - 1, i))
        continue;

      for (guint j = lo; j <= hi; j++)
        {
          if (j == i || !records[j].has_prev || flash[j])
            continue;
          window[n_window++] = score[j];
          if (j + 2 >= i && j <= i + 2 && score[j] > score[i])
            local_max = FALSE;
        }
      if (!local_max)
        continue;

      if (n_window > 0)
        {
          qsort (window, n_window, sizeof (double), compare_double);
          median = window[n_window / 2];
        }
      else
        median = 0.0;
      threshold = MAX (floor_score, 2.0 * median + 0.1);

      if (score[i] >= threshold)
        {
          g_debug ("cut at record %u (%.3f s): score %.3f, local median %.3f",
                   i, records[i].pts, score[i], median);
          add_boundary (out, i, i, i, AVE_SHOT_TRANSITION_CUT);
        }
    }

  g_array_unref (gradual);
}

/* -------------------------------------------------------------- dissolves */

/* hist_long compares each frame with the one long_span records before it.
 * Across a dissolve from record s to record e it rises from s, stays high
 * and falls back by e + long_span; a run of it above the threshold that is
 * not explained by a detected cut or fade is a dissolve.  Its extent is where the frame-to-frame change
 * (diff_prev) stays above the surrounding shots' level: a linear mix moves
 * every pixel by the same amount each frame, so that excess is flat over
 * the transition and its centre of mass lies inside it. */
static void
detect_dissolves (const AveFrameRecord *records,
                  guint                 n,
                  guint                 long_span,
                  double                shot_threshold,
                  GArray               *out)
{
  /* in-shot movement keeps hist_long around 0.02..0.15 */
  double run_threshold = 0.12 + 0.3 * shot_threshold;
  double frame_interval = 0.0;
  guint max_run;
  guint i = 0;

  if (n < 2 || long_span == 0)
    return;
  frame_interval = (records[n - 1].pts - records[0].pts) / (n - 1);
  if (frame_interval <= 0.0)
    return;
  max_run = (guint) (MAX_DISSOLVE_SECONDS / frame_interval) + long_span;

  while (i < n)
    {
      guint p, q, first, last, lo, hi, middle;
      double peak = 0.0, baseline, mass = 0.0, moment = 0.0;
      g_autofree double *outside = NULL;
      guint n_outside = 0;

      if (records[i].hist_long < run_threshold)
        {
          i++;
          continue;
        }
      p = i;
      while (i + 1 < n && records[i + 1].hist_long >= run_threshold)
        i++;
      q = i;
      i++;

      for (guint j = p; j <= q; j++)
        peak = MAX (peak, records[j].hist_long);

      /* the transition itself lies in [p - long_span, q]; it must end
       * before the video does, be short enough not to be a slow pan, and
       * change the picture clearly */
      lo = p > long_span ? p - long_span : 0;
      hi = q;
      if (q + 1 >= n || q - p + 1 > max_run || q - p + 1 < MAX (2u, long_span / 2) ||
          peak < 1.5 * run_threshold)
        continue;
      if (overlaps_boundary (out, lo, hi))
        continue;

      /* the level of change of the shots on either side */
      outside = g_new (double, 2 * long_span + 2);
      for (guint j = lo > long_span ? lo - long_span : 1; j < lo; j++)
        if (records[j].has_prev)
          outside[n_outside++] = records[j].diff_prev;
      for (guint j = hi + 1; j <= MIN (n - 1, hi + long_span); j++)
        if (records[j].has_prev)
          outside[n_outside++] = records[j].diff_prev;
      if (n_outside > 0)
        {
          qsort (outside, n_outside, sizeof (double), compare_double);
          baseline = outside[n_outside / 2];
        }
      else
        baseline = 0.0;

      for (guint j = lo; j <= hi; j++)
        {
          double excess = records[j].has_prev ? MAX (0.0, records[j].diff_prev - baseline) : 0.0;

          mass += excess;
          moment += excess * j;
        }
      if (mass <= 0.0)
        continue;

      /* Grown from the centre of mass while the excess stays above a
       * quarter of its typical level. */
      middle = (guint) lround (moment / mass);
      {
        double level = 0.0;
        guint n_level = 0;

        for (guint j = lo; j <= hi; j++)
          if (records[j].has_prev && records[j].diff_prev - baseline > 0.0)
            {
              level += records[j].diff_prev - baseline;
              n_level++;
            }
        level = n_level > 0 ? level / n_level : 0.0;
        first = middle;
        last = middle;
        /* the first mixed frame is the first that differs from its
         * predecessor, so the transition starts where the excess does */
        while (first > lo && records[first - 1].has_prev &&
               records[first - 1].diff_prev - baseline > 0.25 * level)
          first--;
        while (last < hi && records[last + 1].diff_prev - baseline > 0.25 * level)
          last++;
      }
      middle = (first + last + 1) / 2;

      g_debug ("dissolve: hist_long run %u..%u (peak %.3f), transition %u..%u, boundary %u",
               p, q, peak, first, last, middle);
      add_boundary (out, middle, first, last, AVE_SHOT_TRANSITION_DISSOLVE);
    }
}

/* ------------------------------------------------------------------ entry */

static int
compare_boundary (gconstpointer a,
                  gconstpointer b)
{
  const AveShotBoundary *ba = a, *bb = b;

  return (ba->index > bb->index) - (ba->index < bb->index);
}

GArray *
_ave_shot_detect (const AveFrameRecord *records,
                  guint                 n_records,
                  guint                 long_span,
                  double                shot_threshold)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (AveShotBoundary));

  if (n_records < 2)
    return out;

  /* Gradual transitions first: their frame-to-frame steps must not be
   * taken for cuts, and their slow change must not hide one. */
  detect_fades (records, n_records, out);
  detect_cuts (records, n_records, shot_threshold, out);
  detect_dissolves (records, n_records, long_span, shot_threshold, out);

  g_array_sort (out, compare_boundary);

  /* Two boundaries on one record would make an empty shot. */
  for (guint b = 1; b < out->len; )
    {
      if (g_array_index (out, AveShotBoundary, b).index <=
          g_array_index (out, AveShotBoundary, b - 1).index)
        g_array_remove_index (out, b);
      else
        b++;
    }
  /* A boundary on record 0 would make an empty first shot. */
  if (out->len > 0 && g_array_index (out, AveShotBoundary, 0).index == 0)
    g_array_remove_index (out, 0);

  return out;
}
