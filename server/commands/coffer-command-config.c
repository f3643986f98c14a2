/* coffer-command-config.c: `coffer-server config` prints the effective configuration. */
#include "config.h"

#include "coffer-commands.h"
#include "coffer-config.h"

#include <stdio.h>

int
coffer_command_config (int    argc,
                       char **argv)
{
  g_autofree char *config_path = NULL;
  g_autoptr (CofferConfig) config = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read the configuration from FILE (default: $COFFER_CONFIG or " SYSCONFDIR
      "/coffer/coffer.conf)", "FILE" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                "Print the effective configuration: defaults, then the file, "
                                "then COFFER_<SECTION>_<KEY>\nenvironment variables. Secrets "
                                "are shown as ***. Exits 1 if the configuration is invalid.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!coffer_command_parse (context, &argc, &argv))
    return 2;

  config = coffer_command_load_config (config_path);
  if (config == NULL)
    return 1;
  text = coffer_config_to_string (config);
  fputs (text, stdout);
  return 0;
}
