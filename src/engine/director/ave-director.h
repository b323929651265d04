/* ave-director.h — what turns an analysis into an edit plan.
 *
 * The job asks a director for a plan without knowing which one runs: the
 * embedded local rules (ave-local-director.c, the default: no network, no
 * key, $0) or the LLM director (ave-llm-director.c), which falls back to
 * the local rules whenever its remote call is refused, fails or answers
 * nonsense.  A director may report warnings and notices on the way
 * (ave_director_set_message_func), e.g. why it fell back.
 */
#pragma once

#include <gio/gio.h>

#include "core/ave-settings.h"
#include "analysis/ave-analysis.h"
#include "director/ave-plan.h"

G_BEGIN_DECLS

#define AVE_TYPE_DIRECTOR (ave_director_get_type ())
G_DECLARE_INTERFACE (AveDirector, ave_director, AVE, DIRECTOR, GObject)

typedef enum {
  AVE_DIRECTOR_NOTICE,
  AVE_DIRECTOR_WARNING,
} AveDirectorMessageKind;

typedef void (*AveDirectorMessageFunc) (AveDirectorMessageKind  kind,
                                        const char             *message,
                                        gpointer                user_data);

struct _AveDirectorInterface
{
  GTypeInterface parent_iface;

  /* "local", "llm" */
  const char *(*get_name) (AveDirector *self);
  /* A plan of the analysed source, or NULL and an error (AVE_PLAN_ERROR
   * when nothing can be kept; G_IO_ERROR_CANCELLED). */
  AvePlan    *(*plan)     (AveDirector        *self,
                           const AveAnalysis  *analysis,
                           const AveSettings  *settings,
                           GCancellable       *cancellable,
                           GError            **error);
};

const char *ave_director_get_name         (AveDirector *self);
AvePlan    *ave_director_plan             (AveDirector        *self,
                                           const AveAnalysis  *analysis,
                                           const AveSettings  *settings,
                                           GCancellable       *cancellable,
                                           GError            **error);
/* Where a director sends its warnings and notices (called on the thread
 * that runs ave_director_plan). */
void        ave_director_set_message_func (AveDirector            *self,
                                           AveDirectorMessageFunc  func,
                                           gpointer                user_data);
/* For implementations. */
void        ave_director_message          (AveDirector            *self,
                                           AveDirectorMessageKind  kind,
                                           const char             *format,
                                           ...) G_GNUC_PRINTF (3, 4);

/* The embedded rule-based director (ave-local-director.h has its rules). */
#define AVE_TYPE_LOCAL_DIRECTOR (ave_local_director_get_type ())
G_DECLARE_FINAL_TYPE (AveLocalDirector, ave_local_director, AVE, LOCAL_DIRECTOR, GObject)

AveDirector *ave_local_director_new (void);

G_END_DECLS
