/* coffer-command-common.c: what every subcommand does the same way. */
#include "config.h"

#include "coffer-commands.h"
#include "coffer-config.h"

#include <stdio.h>

CofferConfig *
coffer_command_load_config (const char *path)
{
  g_autoptr (GError) error = NULL;
  CofferConfig *config = coffer_config_load (path, NULL, &error);

  if (config == NULL)
    fprintf (stderr, "coffer-server: %s\n", error->message);
  return config;
}

gboolean
coffer_command_parse (GOptionContext  *context,
                      int             *argc,
                      char          ***argv)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      fprintf (stderr, "coffer-server: %s\nTry “%s --help”.\n", error->message,
               g_get_prgname ());
      return FALSE;
    }
  if (*argc > 1)
    {
      fprintf (stderr, "coffer-server: unexpected argument “%s”\nTry “%s --help”.\n",
               (*argv)[1], g_get_prgname ());
      return FALSE;
    }
  return TRUE;
}
