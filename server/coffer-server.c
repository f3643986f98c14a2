/* coffer-server.c: the entry point; dispatches to a subcommand. */
#include "config.h"

#include "commands/coffer-commands.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "serve", coffer_command_serve, "Run the server (the default)" },
  { "migrate", coffer_command_migrate, "Apply pending database migrations, or list them" },
  { "events", coffer_command_events, "List the Stripe event inbox, or replay a parked event" },
  { "config", coffer_command_config, "Print the effective configuration, secrets hidden" },
  { "version", coffer_command_version, "Print the version" },
};

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage:\n  coffer-server [COMMAND] [OPTION…]\n\n"
           "Coffer's billing server: receives Stripe webhooks, runs the subscription\n"
           "lifecycle and serves the portal and admin APIs.\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun “coffer-server COMMAND --help” for a command’s options.\n"
                "Configuration: see docs/configuration.md.\n");
}

int
main (int    argc,
      char **argv)
{
  const Command *command = &commands[0];
  g_autofree char *prgname = NULL;

  setlocale (LC_ALL, "");

  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
                   strcmp (argv[1], "help") == 0))
    {
      print_usage (stdout);
      return 0;
    }
  if (argc > 1 && strcmp (argv[1], "--version") == 0)
    return coffer_command_version (1, argv);

  if (argc > 1 && argv[1][0] != '-')
    {
      command = NULL;
      for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
        if (strcmp (argv[1], commands[i].name) == 0)
          command = &commands[i];
      if (command == NULL)
        {
          fprintf (stderr, "coffer-server: unknown command “%s”\n\n", argv[1]);
          print_usage (stderr);
          return 2;
        }
      /* The command sees itself as argv[0]: "coffer-server migrate --help". */
      argv[1] = argv[0];
      argv++;
      argc--;
    }

  prgname = g_strdup_printf ("coffer-server %s", command->name);
  g_set_prgname (prgname);
  return command->run (argc, argv);
}
