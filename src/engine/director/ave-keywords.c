#define G_LOG_DOMAIN "ave-keywords"

#include "config.h"

#include <string.h>

#include "ave-keywords.h"

/* Common English function words and the verbs, adverbs and discourse
 * markers people say in every talk whatever its topic.  A keyword must
 * say what *this* recording is about, so these never qualify. */
static const char * const stopwords[] = {
  "a", "about", "above", "actually", "after", "again", "against", "all", "almost",
  "also", "although", "always", "am", "among", "an", "and", "another", "any",
  "anyone", "anything", "anyway", "are", "aren't", "around", "as", "ask", "at",
  "away", "back", "basically", "be", "became", "because", "become", "been",
  "before", "being", "below", "best", "better", "between", "big", "both", "bring",
  "but", "by", "call", "came", "can", "can't", "cannot", "come", "comes", "could",
  "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "done",
  "down", "during", "each", "either", "else", "enough", "even", "ever", "every",
  "everyone", "everything", "example", "fact", "far", "few", "find", "first",
  "for", "from", "further", "gave", "get", "gets", "getting", "give", "given",
  "go", "goes", "going", "gone", "gonna", "good", "got", "gotta", "great", "had",
  "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll",
  "he's", "hello", "her", "here", "here's", "hers", "herself", "hey", "hi", "him",
  "himself", "his", "how", "how's", "however", "i", "i'd", "i'll", "i'm", "i've",
  "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just",
  "keep", "kind", "know", "last", "least", "less", "let", "let's", "like",
  "little", "look", "looking", "lot", "lots", "made", "make", "makes", "making",
  "many", "maybe", "me", "mean", "might", "more", "most", "much", "must", "my",
  "myself", "need", "never", "new", "next", "no", "nor", "not", "nothing", "now",
  "of", "off", "often", "ok", "okay", "old", "on", "once", "one", "ones", "only",
  "or", "other", "others", "our", "ours", "ourselves", "out", "over", "own",
  "part", "people", "perhaps", "point", "pretty", "put", "quite", "rather",
  "really", "right", "said", "same", "saw", "say", "saying", "says", "see",
  "seen", "set", "shall", "she", "she'd", "she'll", "she's", "should",
  "shouldn't", "show", "since", "so", "some", "someone", "something",
  "sometimes", "sort", "start", "still", "stuff", "such", "sure", "take",
  "talk", "talking", "tell", "than", "thank", "thanks", "that", "that's", "the",
  "their", "theirs", "them", "themselves", "then", "there", "there's", "these",
  "they", "they'd", "they'll", "they're", "they've", "thing", "things", "think",
  "this", "those", "though", "three", "through", "to", "today", "together",
  "too", "took", "toward", "try", "trying", "two", "under", "until", "up",
  "upon", "us", "use", "used", "using", "very", "want", "wanna", "was",
  "wasn't", "way", "we", "we'd", "we'll", "we're", "we've", "well", "went",
  "were", "weren't", "what", "what's", "whatever", "when", "where", "whether",
  "which", "while", "who", "who's", "whole", "whom", "why", "will", "with",
  "within", "without", "won't", "would", "wouldn't", "yeah", "yes",
  "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours",
  "yourself", "yourselves",
};

static GHashTable *
stopword_set (void)
{
  static GHashTable *set;
  static gsize initialized;

  /* Built once, then only read: safe to share between worker threads. */
  if (g_once_init_enter (&initialized))
    {
      set = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < G_N_ELEMENTS (stopwords); i++)
        g_hash_table_add (set, (gpointer) stopwords[i]);
      g_once_init_leave (&initialized, 1);
    }
  return set;
}

gboolean
ave_keywords_is_stopword (const char *word)
{
  g_return_val_if_fail (word != NULL, TRUE);

  return g_hash_table_contains (stopword_set (), word);
}

gboolean
ave_keywords_is_content_word (const AveWord     *word,
                              const AveSettings *settings)
{
  const char *text;

  g_return_val_if_fail (word != NULL, FALSE);

  text = word->word;
  if (text == NULL || word->filler)
    return FALSE;
  /* Recognisers emit markers such as <sil> or [noise]; only real words,
   * starting with a letter, can name a topic. */
  if (!g_ascii_isalpha (text[0]) || strlen (text) < 3)
    return FALSE;
  if (settings != NULL && ave_settings_is_filler_word (settings, text))
    return FALSE;
  return !ave_keywords_is_stopword (text);
}

char *
ave_keywords_title_case (const char * const *words,
                         guint               n_words)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n_words; i++)
    {
      const char *w = words[i];

      if (w == NULL || *w == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_unichar (out, g_unichar_totitle (g_utf8_get_char (w)));
      g_string_append (out, g_utf8_next_char (w));
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  char  *word;
  guint  count;
  guint  first_seen;   /* order of first use: ties go to the earlier word */
} KeywordEntry;

struct _AveKeywordCounter
{
  AveSettings *settings;   /* nullable copy */
  GHashTable  *entries;    /* lower-case word → KeywordEntry (owned) */
  guint        n_added;
};

static void
keyword_entry_free (gpointer data)
{
  KeywordEntry *entry = data;

  g_free (entry->word);
  g_free (entry);
}

AveKeywordCounter *
ave_keyword_counter_new (const AveSettings *settings)
{
  AveKeywordCounter *self = g_new0 (AveKeywordCounter, 1);

  self->settings = settings != NULL ? ave_settings_copy (settings) : NULL;
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, keyword_entry_free);
  return self;
}

void
ave_keyword_counter_free (AveKeywordCounter *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->settings, ave_settings_free);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_free (self);
}

gboolean
ave_keyword_counter_add (AveKeywordCounter *self,
                         const AveWord     *word)
{
  g_autofree char *lower = NULL;
  AveWord normalised;
  KeywordEntry *entry;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (word != NULL, FALSE);

  if (word->word == NULL)
    return FALSE;

  /* Transcripts are lower case already; a hand-made one may not be. */
  lower = g_utf8_strdown (word->word, -1);
  normalised = *word;
  normalised.word = lower;
  if (!ave_keywords_is_content_word (&normalised, self->settings))
    return FALSE;

  entry = g_hash_table_lookup (self->entries, lower);
  if (entry == NULL)
    {
      entry = g_new0 (KeywordEntry, 1);
      entry->word = g_steal_pointer (&lower);
      entry->first_seen = self->n_added;
      g_hash_table_insert (self->entries, entry->word, entry);
    }
  entry->count++;
  self->n_added++;
  return TRUE;
}

guint
ave_keyword_counter_get_n_distinct (AveKeywordCounter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->entries);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const KeywordEntry *ea = *(const KeywordEntry * const *) a;
  const KeywordEntry *eb = *(const KeywordEntry * const *) b;

  if (ea->count != eb->count)
    return ea->count > eb->count ? -1 : 1;
  if (ea->first_seen != eb->first_seen)
    return ea->first_seen < eb->first_seen ? -1 : 1;
  return strcmp (ea->word, eb->word);
}

char **
ave_keyword_counter_top (AveKeywordCounter *self,
                         guint              max)
{
  g_autoptr(GPtrArray) sorted = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (self != NULL, NULL);

  /* Hash order is arbitrary; sorting on a total order makes the result
   * the same on every run. */
  sorted = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sorted, value);
  g_ptr_array_sort (sorted, compare_entries);

  for (guint i = 0; i < sorted->len && i < max; i++)
    g_strv_builder_add (builder, ((KeywordEntry *) g_ptr_array_index (sorted, i))->word);

  return g_strv_builder_end (builder);
}
