/* ave-files.h — file identity and safe removal, for every part of the
 * engine that writes or removes files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether two paths name one file (device and inode, links followed);
 * FALSE when either does not exist. */
gboolean      ave_file_is_same           (const char          *a,
                                          const char          *b);
/* Removes a file, or a folder and what it holds, without following any
 * symbolic link: a link is removed itself, never what it points to. */
void          ave_remove_tree_nofollow   (const char          *path);

/* A file's name without folder and extension: "a/talk.final.mp4" → "talk.final". */
char         *ave_file_stem              (const char          *path);

G_END_DECLS
