/* coffer-command-version.c: `coffer-server version`. */
#include "config.h"

#include "coffer-commands.h"

#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <libsoup/soup.h>
#include <stdio.h>

int
coffer_command_version (int    argc,
                        char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context, "Print the version of coffer-server and its libraries.");
  if (!coffer_command_parse (context, &argc, &argv))
    return 2;

  printf ("coffer-server %s\n", PACKAGE_VERSION);
  printf ("  GLib %u.%u.%u, libsoup %u.%u.%u, json-glib %s, libpq %d\n", glib_major_version,
          glib_minor_version, glib_micro_version, soup_get_major_version (),
          soup_get_minor_version (), soup_get_micro_version (), JSON_VERSION_S,
          PQlibVersion ());
  return 0;
}
