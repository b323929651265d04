#define G_LOG_DOMAIN "ave-captions"

#include "config.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <pango/pangocairo.h>

#include "core/ave-error.h"
#include "ave-captions.h"
#include "ave-cards-private.h"

static void
clear_caption_word (gpointer data)
{
  AveCaptionWord *word = data;

  g_clear_pointer (&word->text, g_free);
}

static void
clear_cue (gpointer data)
{
  AveCue *cue = data;

  g_clear_pointer (&cue->text, g_free);
}

double
ave_captions_frame_rate (const AveAnalysis *analysis)
{
  if (analysis->media != NULL && analysis->media->has_video &&
      isfinite (analysis->media->frame_rate) && analysis->media->frame_rate >= 1.0)
    return analysis->media->frame_rate;
  return 25.0;
}

/* ------------------------------------------------------------ mapping */

static void
append_word (GArray        *out,
             const AveWord *w,
             double         start,
             double         end,
             int            item)
{
  AveCaptionWord word = { 0 };

  word.text = g_strdup (w->word != NULL ? w->word : "");
  word.start = start;
  word.end = MAX (start, end);
  word.source_start = w->start;
  word.source_end = w->end;
  word.item = item;
  word.filler = w->filler;
  g_array_append_val (out, word);
}

GArray *
ave_caption_words_map (const AveAnalysis *analysis,
                       AvePlan           *plan)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (AveCaptionWord));
  GArray *words = analysis->words;
  g_autoptr(GArray) items = NULL;

  g_array_set_clear_func (out, clear_caption_word);

  if (plan == NULL)
    {
      for (guint i = 0; i < words->len; i++)
        {
          const AveWord *w = &g_array_index (words, AveWord, i);

          append_word (out, w, w->start, w->end, -1);
        }
      return out;
    }

  /* The composer renders exactly these items, in this order: a segment
   * plays source [start, end] from output_start (crossfades already
   * overlap it with the item before); title cards take output time and
   * say nothing. */
  items = ave_plan_list_output_items (plan);
  for (guint i = 0; i < items->len; i++)
    {
      const AveOutputItem *item = &g_array_index (items, AveOutputItem, i);
      const AveSegment *seg = item->segment;
      double item_end = item->output_start + item->duration;

      if (seg == NULL)
        continue;
      for (guint k = 0; k < words->len; k++)
        {
          const AveWord *w = &g_array_index (words, AveWord, k);
          double middle = (w->start + w->end) / 2.0;

          if (middle < seg->start || middle > seg->end)
            continue;
          /* A word the segment clips (a hand-made plan) shows for the part
           * that plays. */
          append_word (out, w,
                       CLAMP (item->output_start + (w->start - seg->start), item->output_start, item_end),
                       CLAMP (item->output_start + (w->end - seg->start), item->output_start, item_end),
                       (int) i);
        }
    }
  return out;
}

/* ------------------------------------------------------------ graphemes */

/* User-perceived characters: what a viewer counts, and the only places a
 * line may be broken inside a word. */
static guint
count_graphemes (const char    *text,
                 PangoLanguage *language)
{
  glong n_chars = g_utf8_strlen (text, -1);
  g_autofree PangoLogAttr *attrs = NULL;
  guint n = 0;

  if (n_chars == 0)
    return 0;
  attrs = g_new0 (PangoLogAttr, n_chars + 1);
  pango_get_log_attrs (text, strlen (text), -1, language, attrs, n_chars + 1);
  for (glong i = 0; i < n_chars; i++)
    if (attrs[i].is_cursor_position)
      n++;
  return MAX (n, 1);
}

/* The byte offset after the first `max` graphemes of `text`. */
static gsize
grapheme_prefix_bytes (const char    *text,
                       guint          max,
                       PangoLanguage *language)
{
  glong n_chars = g_utf8_strlen (text, -1);
  g_autofree PangoLogAttr *attrs = g_new0 (PangoLogAttr, n_chars + 1);
  guint seen = 0;
  const char *p = text;

  pango_get_log_attrs (text, strlen (text), -1, language, attrs, n_chars + 1);
  for (glong i = 0; i < n_chars; i++, p = g_utf8_next_char (p))
    if (attrs[i].is_cursor_position)
      {
        if (seen == max)
          return p - text;
        seen++;
      }
  return strlen (text);
}

/* -------------------------------------------------------------- breaks */

typedef enum {
  BREAK_NONE,
  BREAK_CLAUSE,     /* a good place: clause punctuation or a short pause */
  BREAK_SENTENCE,   /* a new cue: sentence punctuation or a long pause */
  BREAK_CUT,        /* a new cue that may not be merged: a cut, a card, a jump */
} BreakKind;

static gboolean
ends_with_any (const char *text,
               const char *marks)
{
  const char *last;
  gunichar c;

  if (text == NULL || *text == '\0')
    return FALSE;
  last = g_utf8_find_prev_char (text, text + strlen (text));
  c = g_utf8_get_char (last);
  /* ASCII marks, and the full stops and commas of other scripts. */
  if (c < 0x80)
    return strchr (marks, (int) c) != NULL;
  if (strchr (marks, '.') != NULL)
    return c == 0x3002 || c == 0x0964 || c == 0x061F || c == 0x2026 || c == 0xFF01 || c == 0xFF1F;
  return c == 0x3001 || c == 0xFF0C || c == 0x060C || c == 0xFF1B;
}

/* How the output may break between words a and b (b follows a). */
static BreakKind
break_between (const AveCaptionWord *a,
               const AveCaptionWord *b)
{
  double pause;

  if (a->item != b->item)
    {
      /* Different output items: the cue may run on only over a cut that
       * removed no more than a short pause of the same recording, with
       * nothing inserted between. */
      if (b->item != a->item + 1 || b->source_start < a->source_end)
        return BREAK_CUT;
      if (b->source_start - a->source_end > AVE_CUE_MAX_BRIDGED_CUT + (b->start - a->end))
        return BREAK_CUT;
    }
  if (ends_with_any (a->text, ".?!"))
    return BREAK_SENTENCE;
  pause = b->source_start - a->source_end;
  if (pause >= AVE_CUE_SENTENCE_PAUSE)
    return BREAK_SENTENCE;
  if (ends_with_any (a->text, ",;:") || pause >= AVE_CUE_CLAUSE_PAUSE)
    return BREAK_CLAUSE;
  return BREAK_NONE;
}

/* -------------------------------------------------------------- layout */

typedef struct
{
  GArray        *words;      /* AveCaptionWord */
  guint         *shown;      /* indexes of the words shown (no fillers) */
  guint          n_shown;
  guint         *graphemes;  /* per shown word */
  BreakKind     *breaks;     /* breaks[k]: between shown[k] and shown[k + 1] */
  PangoLanguage *language;
} Layout;

static const AveCaptionWord *
shown_word (const Layout *l,
            guint         k)
{
  return &g_array_index (l->words, AveCaptionWord, l->shown[k]);
}

/* Graphemes of shown words [from, to] on one line. */
static guint
span_graphemes (const Layout *l,
                guint         from,
                guint         to)
{
  guint n = 0;

  for (guint k = from; k <= to; k++)
    n += l->graphemes[k] + (k > from ? 1 : 0);
  return n;
}

/* Where shown words [from, to] break into lines: the index of the first
 * word of the second line, `from` for a single line, or -1 when they do
 * not fit in AVE_CUE_MAX_LINES lines.  Two lines are balanced, and a
 * break after punctuation or a pause is preferred. */
static int
line_break (const Layout *l,
            guint         from,
            guint         to)
{
  int best = -1;
  double best_cost = G_MAXDOUBLE;

  if (span_graphemes (l, from, to) <= AVE_CUE_MAX_LINE_CHARS)
    return (int) from;
  for (guint k = from + 1; k <= to; k++)
    {
      guint top = span_graphemes (l, from, k - 1);
      guint bottom = span_graphemes (l, k, to);
      double cost;

      if (top > AVE_CUE_MAX_LINE_CHARS || bottom > AVE_CUE_MAX_LINE_CHARS)
        continue;
      cost = fabs ((double) top - (double) bottom);
      if (l->breaks[k - 1] >= BREAK_CLAUSE)
        cost -= 10.0;
      if (cost < best_cost)
        {
          best_cost = cost;
          best = (int) k;
        }
    }
  return best;
}

/* The sentence's first letter in capitals: recognisers write lower case. */
static void
append_capitalised (GString    *out,
                    const char *text)
{
  gunichar c = g_utf8_get_char (text);
  gunichar title = g_unichar_totitle (c);

  if (title == c)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_unichar (out, title);
  g_string_append (out, g_utf8_next_char (text));
}

static char *
cue_text (const Layout *l,
          guint         from,
          guint         to,
          gboolean      sentence_start)
{
  GString *out = g_string_new (NULL);
  int second = line_break (l, from, to);

  if (second < 0)
    {
      /* One word longer than two lines (a recogniser never makes one; a
       * hand-edited analysis may): cut at grapheme boundaries. */
      const char *text = shown_word (l, from)->text;
      gsize first = grapheme_prefix_bytes (text, AVE_CUE_MAX_LINE_CHARS, l->language);
      gsize rest = grapheme_prefix_bytes (text + first, AVE_CUE_MAX_LINE_CHARS - 1, l->language);

      g_string_append_len (out, text, first);
      g_string_append_c (out, '\n');
      g_string_append_len (out, text + first, rest);
      if (text[first + rest] != '\0')
        g_string_append (out, "…");
      return g_string_free (out, FALSE);
    }

  for (guint k = from; k <= to; k++)
    {
      if (k > from)
        g_string_append_c (out, (int) k == second && second != (int) from ? '\n' : ' ');
      if (k == from && sentence_start)
        append_capitalised (out, shown_word (l, k)->text);
      else
        g_string_append (out, shown_word (l, k)->text);
    }
  return g_string_free (out, FALSE);
}

static gboolean
cue_fits (const Layout *l,
          guint         from,
          guint         to)
{
  const AveCaptionWord *first = shown_word (l, from);
  const AveCaptionWord *last = shown_word (l, to);

  return line_break (l, from, to) >= 0 &&
         last->end - first->start <= AVE_CUE_MAX_SECONDS;
}

typedef struct
{
  guint from, to;   /* shown words */
} Span;

/* Greedy: a cue grows word by word until the next word would not fit (two
 * lines, seven seconds) or a sentence ends; when it does not fit, it ends
 * at the last clause break that keeps at least two words in it. */
static GArray *
group_spans (const Layout *l)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  guint from = 0;

  while (from < l->n_shown)
    {
      guint to = from;
      Span span;

      if (line_break (l, from, from) < 0)
        {
          /* An over-long word is a cue of its own. */
          span.from = span.to = from;
          g_array_append_val (spans, span);
          from++;
          continue;
        }
      while (to + 1 < l->n_shown && l->breaks[to] < BREAK_SENTENCE)
        {
          if (!cue_fits (l, from, to + 1))
            {
              for (guint k = to; k > from; k--)
                if (l->breaks[k - 1] >= BREAK_CLAUSE && k - 1 > from)
                  {
                    to = k - 1;
                    break;
                  }
              break;
            }
          to++;
        }
      span.from = from;
      span.to = to;
      g_array_append_val (spans, span);
      from = to + 1;
    }
  return spans;
}

/* A cue shorter than the minimum joins the next one when the two fit
 * together and nothing but a sentence pause lies between them. */
static void
merge_short_spans (const Layout *l,
                   GArray       *spans)
{
  for (guint i = 0; i + 1 < spans->len; i++)
    {
      Span *a = &g_array_index (spans, Span, i);
      Span *b = &g_array_index (spans, Span, i + 1);
      double shown = shown_word (l, b->from)->start - shown_word (l, a->from)->start;

      if (shown >= AVE_CUE_MIN_SECONDS || l->breaks[a->to] == BREAK_CUT)
        continue;
      if (line_break (l, a->from, b->to) < 0 ||
          shown_word (l, b->to)->end - shown_word (l, a->from)->start > AVE_CUE_MAX_SECONDS)
        continue;
      a->to = b->to;
      g_array_remove_index (spans, i + 1);
      i--;
    }
}

GArray *
ave_captions_build (GArray     *words,
                    double      fps,
                    const char *language)
{
  GArray *cues = g_array_new (FALSE, TRUE, sizeof (AveCue));
  g_autofree guint *shown = g_new0 (guint, words->len + 1);
  g_autofree guint *graphemes = g_new0 (guint, words->len + 1);
  g_autofree BreakKind *breaks = g_new0 (BreakKind, words->len + 1);
  g_autoptr(GArray) spans = NULL;
  Layout l = { words, shown, 0, graphemes, breaks, NULL };
  double frame = 1.0 / (isfinite (fps) && fps >= 1.0 ? fps : 25.0);

  g_array_set_clear_func (cues, clear_cue);
  l.language = language != NULL ? pango_language_from_string (language) : pango_language_get_default ();

  for (guint i = 0; i < words->len; i++)
    {
      const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, i);

      if (w->filler || w->text == NULL || !g_utf8_validate (w->text, -1, NULL) || *w->text == '\0')
        continue;
      shown[l.n_shown] = i;
      graphemes[l.n_shown] = count_graphemes (w->text, l.language);
      l.n_shown++;
    }
  for (guint k = 0; k + 1 < l.n_shown; k++)
    {
      breaks[k] = break_between (shown_word (&l, k), shown_word (&l, k + 1));
      /* A filler between them that the plan kept is a hesitation: a
       * place to break, not a reason to. */
      if (l.shown[k + 1] > l.shown[k] + 1 && breaks[k] < BREAK_CLAUSE)
        breaks[k] = BREAK_CLAUSE;
    }

  spans = group_spans (&l);
  merge_short_spans (&l, spans);

  for (guint i = 0; i < spans->len; i++)
    {
      const Span *span = &g_array_index (spans, Span, i);
      const AveCaptionWord *first = shown_word (&l, span->from);
      const AveCaptionWord *last = shown_word (&l, span->to);
      gboolean sentence_start = span->from == 0 || breaks[span->from - 1] >= BREAK_SENTENCE;
      AveCue cue = { 0 };

      cue.start = first->start;
      cue.end = last->end;
      cue.first_word = l.shown[span->from];
      cue.n_words = l.shown[span->to] - l.shown[span->from] + 1;
      cue.text = cue_text (&l, span->from, span->to, sentence_start);
      g_array_append_val (cues, cue);
    }

  /* Times: at least the minimum and long enough to read, at most the
   * maximum, never over the next cue, and no flicker of a gap shorter than
   * two frames between two cues. */
  for (guint i = 0; i < cues->len; i++)
    {
      AveCue *cue = &g_array_index (cues, AveCue, i);
      const AveCue *next = i + 1 < cues->len ? &g_array_index (cues, AveCue, i + 1) : NULL;
      guint n = count_graphemes (cue->text, l.language);
      double wanted = MAX (AVE_CUE_MIN_SECONDS, n / AVE_CUE_MAX_CPS);

      cue->end = MAX (cue->end, cue->start + wanted);
      cue->end = MIN (cue->end, cue->start + AVE_CUE_MAX_SECONDS);
      if (next != NULL)
        {
          if (cue->end > next->start)
            cue->end = next->start;
          if (next->start - cue->end < AVE_CUE_MIN_GAP_FRAMES * frame)
            cue->end = next->start;
        }
      cue->end = MAX (cue->end, cue->start);
    }
  return cues;
}

/* ------------------------------------------------------------- writers */

static void
append_timestamp (GString *out,
                  double   seconds,
                  char     separator)
{
  gint64 ms = (gint64) llround (MAX (seconds, 0.0) * 1000.0);

  g_string_append_printf (out, "%02" G_GINT64_FORMAT ":%02d:%02d%c%03d",
                          ms / 3600000, (int) (ms / 60000 % 60), (int) (ms / 1000 % 60),
                          separator, (int) (ms % 1000));
}

/* Cue times on the millisecond grid both formats use, each cue ending no
 * later than the next one starts and never empty. */
static void
cue_times_ms (GArray *cues,
              guint   i,
              double *start,
              double *end)
{
  const AveCue *cue = &g_array_index (cues, AveCue, i);
  gint64 s = llround (MAX (cue->start, 0.0) * 1000.0);
  gint64 e = llround (MAX (cue->end, 0.0) * 1000.0);

  if (i + 1 < cues->len)
    e = MIN (e, llround (MAX (g_array_index (cues, AveCue, i + 1).start, 0.0) * 1000.0));
  e = MAX (e, s + 1);
  *start = s / 1000.0;
  *end = e / 1000.0;
}

void
ave_captions_cue_times_ms (GArray *cues,
                           guint   i,
                           gint64 *start_ms,
                           gint64 *end_ms)
{
  double start, end;

  cue_times_ms (cues, i, &start, &end);
  *start_ms = llround (start * 1000.0);
  *end_ms = llround (end * 1000.0);
}

int
ave_captions_cue_at (GArray *cues,
                     double  t)
{
  gint64 t_ms;
  guint lo = 0, hi;

  g_return_val_if_fail (cues != NULL, -1);

  if (!isfinite (t) || t < 0.0)
    return -1;
  /* The composer's millisecond of a frame start (floor, as it does). */
  t_ms = (gint64) floor (t * 1000.0 + 1e-6);
  hi = cues->len;
  /* Cue times only grow (no overlaps): the last cue starting at or
   * before t_ms is the only one that can hold it. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gint64 start_ms, end_ms;

      ave_captions_cue_times_ms (cues, mid, &start_ms, &end_ms);
      if (start_ms <= t_ms)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return -1;
  {
    gint64 start_ms, end_ms;

    ave_captions_cue_times_ms (cues, lo - 1, &start_ms, &end_ms);
    return t_ms < end_ms ? (int) lo - 1 : -1;
  }
}

char *
ave_captions_to_srt (GArray *cues)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);
      double start, end;

      cue_times_ms (cues, i, &start, &end);
      g_string_append_printf (out, "%u\n", i + 1);
      append_timestamp (out, start, ',');
      g_string_append (out, " --> ");
      append_timestamp (out, end, ',');
      g_string_append_printf (out, "\n%s\n\n", cue->text);
    }
  return g_string_free (out, FALSE);
}

char *
ave_captions_to_vtt (GArray *cues)
{
  GString *out = g_string_new ("WEBVTT\n\n");

  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);
      double start, end;

      cue_times_ms (cues, i, &start, &end);
      append_timestamp (out, start, '.');
      g_string_append (out, " --> ");
      append_timestamp (out, end, '.');
      g_string_append_c (out, '\n');
      /* WebVTT cue text is markup: '&' and '<' start entities and tags. */
      for (const char *p = cue->text; *p != '\0'; p++)
        {
          if (*p == '&')
            g_string_append (out, "&amp;");
          else if (*p == '<')
            g_string_append (out, "&lt;");
          else if (*p == '>')
            g_string_append (out, "&gt;");
          else
            g_string_append_c (out, *p);
        }
      g_string_append (out, "\n\n");
    }
  return g_string_free (out, FALSE);
}

char *
ave_captions_to_text (GArray *words)
{
  GString *out = g_string_new (NULL);
  const AveCaptionWord *previous = NULL;

  for (guint i = 0; i < words->len; i++)
    {
      const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, i);
      gboolean new_line = previous == NULL || break_between (previous, w) >= BREAK_SENTENCE;

      if (new_line)
        {
          if (previous != NULL)
            g_string_append_c (out, '\n');
          g_string_append_c (out, '[');
          append_timestamp (out, w->start, '.');
          g_string_append (out, "] ");
          append_capitalised (out, w->text);
        }
      else
        {
          g_string_append_c (out, ' ');
          g_string_append (out, w->text);
        }
      previous = w;
    }
  if (previous != NULL)
    g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------ language */

const char *
ave_captions_iso639_2 (const char *language)
{
  /* ISO 639-1 → 639-2/T (MP4's "mdhd" language is the terminology code:
   * "deu", not "ger") for the languages recognisers offer. */
  static const char * const codes[][2] = {
    { "af", "afr" }, { "ar", "ara" }, { "bg", "bul" }, { "bn", "ben" }, { "ca", "cat" },
    { "cs", "ces" }, { "cy", "cym" }, { "da", "dan" }, { "de", "deu" }, { "el", "ell" },
    { "en", "eng" }, { "eo", "epo" }, { "es", "spa" }, { "et", "est" }, { "eu", "eus" },
    { "fa", "fas" }, { "fi", "fin" }, { "fr", "fra" }, { "ga", "gle" }, { "gl", "glg" },
    { "gu", "guj" }, { "he", "heb" }, { "hi", "hin" }, { "hr", "hrv" }, { "hu", "hun" },
    { "hy", "hye" }, { "id", "ind" }, { "is", "isl" }, { "it", "ita" }, { "ja", "jpn" },
    { "ka", "kat" }, { "kk", "kaz" }, { "km", "khm" }, { "kn", "kan" }, { "ko", "kor" },
    { "lt", "lit" }, { "lv", "lav" }, { "mk", "mkd" }, { "ml", "mal" }, { "mn", "mon" },
    { "mr", "mar" }, { "ms", "msa" }, { "mt", "mlt" }, { "my", "mya" }, { "nb", "nob" },
    { "ne", "nep" }, { "nl", "nld" }, { "nn", "nno" }, { "no", "nor" }, { "pa", "pan" },
    { "pl", "pol" }, { "pt", "por" }, { "ro", "ron" }, { "ru", "rus" }, { "si", "sin" },
    { "sk", "slk" }, { "sl", "slv" }, { "sq", "sqi" }, { "sr", "srp" }, { "sv", "swe" },
    { "sw", "swa" }, { "ta", "tam" }, { "te", "tel" }, { "th", "tha" }, { "tl", "tgl" },
    { "tr", "tur" }, { "uk", "ukr" }, { "ur", "urd" }, { "uz", "uzb" }, { "vi", "vie" },
    { "zh", "zho" }, { "zu", "zul" },
  };
  static const char * const three[] = {
    /* primary subtags that already are 639-2/T codes recognisers use */
    "fil", "yue", "cmn", "haw", "ast", NULL
  };
  char primary[4] = { 0 };
  gsize n = 0;

  if (language == NULL)
    return "und";
  while (n < 4 && g_ascii_isalpha (language[n]))
    n++;
  if ((n != 2 && n != 3) || (language[n] != '\0' && language[n] != '-' && language[n] != '_'))
    return "und";
  for (gsize i = 0; i < n; i++)
    primary[i] = g_ascii_tolower (language[i]);
  if (n == 2)
    {
      for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
        if (g_str_equal (codes[i][0], primary))
          return codes[i][1];
      return "und";
    }
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (g_str_equal (codes[i][1], primary))
      return codes[i][1];
  for (guint i = 0; three[i] != NULL; i++)
    if (g_str_equal (three[i], primary))
      return three[i];
  return "und";
}

/* ------------------------------------------------------------ drawing */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_surface_t, cairo_surface_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cairo_t, cairo_destroy)

static gboolean
is_shown (const AveCaptionWord *word)
{
  return !word->filler;
}

int
ave_caption_word_at (const AveCue *cue,
                     GArray       *words,
                     double        t)
{
  int found = -1;

  for (guint i = cue->first_word; i < cue->first_word + cue->n_words && i < words->len; i++)
    {
      const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, i);

      if (!is_shown (w))
        continue;
      if (found >= 0 && w->start > t)
        break;
      found = (int) i;
    }
  return found;
}

/* The byte range of `word` (an index into `words`) in cue->text: the
 * cue shows its non-filler words in order, one between each space or line
 * break.  FALSE when the text is not made that way (a word cut over two
 * lines). */
static gboolean
word_range_in_text (const AveCue *cue,
                    GArray       *words,
                    int           word,
                    guint        *start,
                    guint        *end)
{
  const char *text = cue->text;
  guint token = 0, wanted = 0, n_shown = 0, n_tokens = 0;
  gsize pos = 0;

  for (guint i = cue->first_word; i < cue->first_word + cue->n_words && i < words->len; i++)
    if (is_shown (&g_array_index (words, AveCaptionWord, i)))
      {
        if ((int) i == word)
          wanted = n_shown;
        n_shown++;
      }
  for (const char *p = text; *p != '\0'; p++)
    if ((p == text || p[-1] == ' ' || p[-1] == '\n') && *p != ' ' && *p != '\n')
      n_tokens++;
  if (n_tokens != n_shown || word < 0)
    return FALSE;

  while (text[pos] != '\0')
    {
      gsize from;

      while (text[pos] == ' ' || text[pos] == '\n')
        pos++;
      from = pos;
      while (text[pos] != '\0' && text[pos] != ' ' && text[pos] != '\n')
        pos++;
      if (pos > from && token++ == wanted)
        {
          *start = (guint) from;
          *end = (guint) pos;
          return TRUE;
        }
    }
  return FALSE;
}

static void
set_source_hex (cairo_t    *cr,
                const char *hex,
                double      alpha)
{
  guint32 rgb = 0;

  ave_caption_color_parse (hex, &rgb);
  cairo_set_source_rgba (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                         (rgb & 0xff) / 255.0, alpha);
}

gboolean
ave_caption_render_rgba (const AveCue      *cue,
                         GArray            *words,
                         int                highlight,
                         const AveSettings *settings,
                         int                frame_width,
                         int                frame_height,
                         guint8           **rgba,
                         int               *stride,
                         int               *x,
                         int               *y,
                         int               *width,
                         int               *height,
                         GError           **error)
{
  g_autoptr(cairo_surface_t) measure = NULL;
  g_autoptr(cairo_surface_t) surface = NULL;
  g_autoptr(cairo_t) cr = NULL;
  g_autoptr(PangoLayout) layout = NULL;
  g_autoptr(PangoFontDescription) font = NULL;
  double size_px = MAX (4.0, settings->caption_size * frame_height);
  double outline = settings->caption_outline_width * size_px;
  double pad = settings->caption_box_opacity > 0.0 ? 0.3 * size_px : 0.0;
  double border = MAX (pad, outline) + 2.0;
  const char *position = settings->caption_position != NULL ? settings->caption_position : "bottom";
  PangoRectangle ink, logical;
  double left, top, right, bottom;
  int bx, by, bw, bh;

  g_return_val_if_fail (cue != NULL && cue->text != NULL, FALSE);
  g_return_val_if_fail (frame_width >= 2 && frame_height >= 2, FALSE);

  /* Laid out once on a scratch surface to know the box, then drawn. */
  measure = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (measure);
  layout = pango_cairo_create_layout (cr);
  font = pango_font_description_from_string (settings->caption_font != NULL ? settings->caption_font : "Sans Bold");
  pango_font_description_set_absolute_size (font, size_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, cue->text, -1);
  pango_layout_set_width (layout, (int) (frame_width * 0.9) * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  if (highlight >= 0 && settings->caption_highlight != NULL)
    {
      guint start, end;
      guint32 rgb;

      if (word_range_in_text (cue, words, highlight, &start, &end) &&
          ave_caption_color_parse (settings->caption_highlight, &rgb))
        {
          PangoAttrList *attrs = pango_attr_list_new ();
          PangoAttribute *colour = pango_attr_foreground_new ((guint16) (((rgb >> 16) & 0xff) * 257),
                                                              (guint16) (((rgb >> 8) & 0xff) * 257),
                                                              (guint16) ((rgb & 0xff) * 257));

          colour->start_index = start;
          colour->end_index = end;
          pango_attr_list_insert (attrs, colour);
          pango_layout_set_attributes (layout, attrs);
          pango_attr_list_unref (attrs);
        }
    }
  pango_layout_get_pixel_extents (layout, &ink, &logical);

  /* The box: the lines (ink and line height) with room for the outline or
   * the box's padding, on even pixels so the 4:2:0 chroma it changes lies
   * inside it. */
  left = MIN (ink.x, logical.x) - border;
  right = MAX (ink.x + ink.width, logical.x + logical.width) + border;
  top = MIN (ink.y, logical.y) - border;
  bottom = MAX (ink.y + ink.height, logical.y + logical.height) + border;
  bw = MIN (frame_width, ((int) ceil (right - left) + 1) & ~1);
  bh = MIN (frame_height, ((int) ceil (bottom - top) + 1) & ~1);
  bw = MAX (bw, 2);
  bh = MAX (bh, 2);
  bx = ((frame_width - bw) / 2) & ~1;
  if (g_str_equal (position, "top"))
    by = (int) lround (settings->caption_margin * frame_height);
  else if (g_str_equal (position, "middle"))
    by = (frame_height - bh) / 2;
  else
    by = (int) lround (frame_height - settings->caption_margin * frame_height) - bh;
  by = CLAMP (by, 0, frame_height - bh) & ~1;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, bw, bh);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, AVE_COMPOSE_ERROR, AVE_COMPOSE_ERROR_FAILED,
                   "Out of memory for a %dx%d caption", bw, bh);
      return FALSE;
    }
  g_clear_pointer (&cr, cairo_destroy);
  cr = cairo_create (surface);
  pango_cairo_update_layout (cr, layout);

  if (pad > 0.0)
    {
      double bl = MAX (0.0, ink.x - pad - left), bt = MAX (0.0, MIN (ink.y, logical.y) - pad - top);
      double br = MIN ((double) bw, ink.x + ink.width + pad - left);
      double bb = MIN ((double) bh, MAX (ink.y + ink.height, logical.y + logical.height) + pad - top);

      set_source_hex (cr, settings->caption_box_color, settings->caption_box_opacity);
      cairo_rectangle (cr, bl, bt, br - bl, bb - bt);
      cairo_fill (cr);
    }

  /* The layout's origin, seen from the box's corner. */
  cairo_translate (cr, -left, -top);
  if (outline > 0.0)
    {
      cairo_move_to (cr, 0, 0);
      pango_cairo_layout_path (cr, layout);
      set_source_hex (cr, settings->caption_outline_color, 1.0);
      cairo_set_line_width (cr, 2.0 * outline);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_stroke (cr);
    }
  cairo_move_to (cr, 0, 0);
  set_source_hex (cr, settings->caption_color, 1.0);
  pango_cairo_show_layout (cr, layout);

  *rgba = _ave_surface_to_rgba (surface, stride);
  *x = bx;
  *y = by;
  *width = bw;
  *height = bh;
  return TRUE;
}

char *
ave_captions_to_json (GArray     *words,
                      GArray     *cues,
                      const char *language,
                      const char *plan_path)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "language");
  if (language != NULL)
    json_builder_add_string_value (b, language);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "times");
  json_builder_add_string_value (b, plan_path != NULL ? "output" : "source");
  json_builder_set_member_name (b, "plan");
  if (plan_path != NULL)
    json_builder_add_string_value (b, plan_path);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "words");
  json_builder_begin_array (b);
  for (guint i = 0; i < words->len; i++)
    {
      const AveCaptionWord *w = &g_array_index (words, AveCaptionWord, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "word");
      json_builder_add_string_value (b, w->text);
      json_builder_set_member_name (b, "start");
      json_builder_add_double_value (b, w->start);
      json_builder_set_member_name (b, "end");
      json_builder_add_double_value (b, w->end);
      json_builder_set_member_name (b, "source_start");
      json_builder_add_double_value (b, w->source_start);
      json_builder_set_member_name (b, "source_end");
      json_builder_add_double_value (b, w->source_end);
      json_builder_set_member_name (b, "filler");
      json_builder_add_boolean_value (b, w->filler);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "cues");
  json_builder_begin_array (b);
  for (guint i = 0; i < cues->len; i++)
    {
      const AveCue *cue = &g_array_index (cues, AveCue, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "start");
      json_builder_add_double_value (b, cue->start);
      json_builder_set_member_name (b, "end");
      json_builder_add_double_value (b, cue->end);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, cue->text);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}
