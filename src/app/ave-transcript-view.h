/* ave-transcript-view.h — the transcript as editable text: every word of
 * the analysis in output order (the plan's segment order), kept words as
 * they are, cut words struck through and dimmed, filler words and earlier
 * takes (retakes) marked, with a tooltip saying which.
 *
 * Editing goes through an AvePlanHistory (ave-plan-words.h), one undo
 * step per edit, and the view rebuilds whenever the plan changes, so the
 * timeline and preview watching the same history follow at once.
 *
 * Keys (in the text): arrows, Ctrl+arrows, Home/End move; Shift with them
 * selects.  Delete or Backspace cuts the selected words, or restores them
 * when every selected word is already cut; with no selection Delete cuts
 * the word at the cursor and moves on to the next one, Backspace the word
 * before it.  R restores the selected words (or the word at the cursor).
 * Return seeks to the word at the cursor.  Ctrl+Z undoes, Ctrl+Shift+Z or
 * Ctrl+Y redoes.  Ctrl+F searches (Return or Ctrl+G: next match,
 * Shift+Return or Ctrl+Shift+G: previous, Escape: back to the text with the
 * match selected).  A click on a word seeks to it.  The context menu holds
 * Cut Words and Restore Words.
 *
 * Actions (group "transcript"): cut, restore, delete, find, find-next,
 * find-previous, seek, undo, redo.
 */
#pragma once

#include <gtk/gtk.h>

#include "analysis/ave-analysis.h"
#include "director/ave-plan-history.h"

G_BEGIN_DECLS

#define AVE_TYPE_TRANSCRIPT_VIEW (ave_transcript_view_get_type ())
G_DECLARE_FINAL_TYPE (AveTranscriptView, ave_transcript_view, AVE, TRANSCRIPT_VIEW, GtkWidget)

GtkWidget      *ave_transcript_view_new              (void);
/* Shows `history`'s plan through `analysis`'s words (both nullable;
 * references are kept). */
void            ave_transcript_view_set_model        (AveTranscriptView *self,
                                                      AvePlanHistory    *history,
                                                      AveAnalysis       *analysis);
AvePlanHistory *ave_transcript_view_get_history      (AveTranscriptView *self);

/* Seconds kept around words at each cut (the settings' word_padding, as
 * the local director uses); the default is AveSettings' default. */
void            ave_transcript_view_set_word_padding (AveTranscriptView *self,
                                                      double             padding);
double          ave_transcript_view_get_word_padding (AveTranscriptView *self);

/* The preview's position in SOURCE seconds: the word being said is
 * highlighted and scrolled into view. */
void            ave_transcript_view_set_playhead     (AveTranscriptView *self,
                                                      double             source_time);
/* The highlighted word (an index into the analysis' words), -1 for none. */
int             ave_transcript_view_get_playing_word (AveTranscriptView *self);

/* The text view, for focus and for an accessible relation. */
GtkTextView    *ave_transcript_view_get_text_view    (AveTranscriptView *self);

G_END_DECLS
