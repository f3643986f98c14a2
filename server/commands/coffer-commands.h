/* coffer-commands.h: the coffer-server subcommands. Each returns an exit status. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int coffer_command_serve   (int    argc,
                            char **argv);
int coffer_command_migrate (int    argc,
                            char **argv);
int coffer_command_config  (int    argc,
                            char **argv);
int coffer_command_version (int    argc,
                            char **argv);
int coffer_command_events  (int    argc,
                            char **argv);

/* Shared by the commands: the configuration named by --config (or the
 * default), with the environment applied; prints the error and returns NULL. */
struct _CofferConfig *coffer_command_load_config (const char *path);
gboolean              coffer_command_parse      (GOptionContext  *context,
                                                 int             *argc,
                                                 char          ***argv);

G_END_DECLS
