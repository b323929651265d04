/* ave-keywords.h — ranking the words of a transcript by how much they say.
 *
 * Shared by the local director (chapter titles) and the metadata builder
 * (titles, tags, description) so both agree on what a keyword is: a word
 * of at least three letters that is neither a common English stopword nor a
 * filler word.
 */
#pragma once

#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"

G_BEGIN_DECLS

typedef struct _AveKeywordCounter AveKeywordCounter;

/* TRUE for the common English words that carry no topic ("the", "because",
 * "going", ...).  `word` is lower case. */
gboolean           ave_keywords_is_stopword       (const char *word);

/* TRUE when the word can be a keyword: not a filler (flagged, or listed in
 * settings->filler_words when settings is non-NULL), not a stopword, at
 * least three characters, starting with a letter. */
gboolean           ave_keywords_is_content_word   (const AveWord     *word,
                                                   const AveSettings *settings);

/* Title Case of the words joined by spaces: "neural", "networks" →
 * "Neural Networks". */
char              *ave_keywords_title_case        (const char * const *words,
                                                   guint               n_words);

AveKeywordCounter *ave_keyword_counter_new        (const AveSettings *settings);
void               ave_keyword_counter_free       (AveKeywordCounter *self);
/* Counts the word when it is a content word; returns whether it counted. */
gboolean           ave_keyword_counter_add        (AveKeywordCounter *self,
                                                   const AveWord     *word);
guint              ave_keyword_counter_get_n_distinct (AveKeywordCounter *self);
/* At most `max` keywords, most frequent first; ties go to the word used
 * first, then alphabetical order, so the result is deterministic.
 * Free with g_strfreev. */
char             **ave_keyword_counter_top        (AveKeywordCounter *self,
                                                   guint              max);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AveKeywordCounter, ave_keyword_counter_free)

G_END_DECLS
