/* coffer-test-server.c: starts the built coffer-server as a child process.
 *
 * The harness passes NOTIFY_SOCKET pointing at a datagram socket of its own,
 * exactly as systemd would, and waits for READY=1: no polling, and the
 * message carries the ephemeral port the server bound (X_COFFER_LISTEN). */
#include "config.h"

#include "coffer-test-server.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct _CofferTestServer
{
  GPid     pid;
  char    *host;
  guint16  port;
  gboolean exited;
  int      wait_status;
};

static const char *
server_path (void)
{
  const char *path = g_getenv ("COFFER_TEST_SERVER_BINARY");

  g_assert_nonnull (path);
  return path;
}

static char **
server_environment (const char         *conninfo,
                    const char * const *extra_env,
                    const char         *notify_socket)
{
  char **envp = g_get_environ ();

  envp = g_environ_setenv (envp, "COFFER_CONFIG", "/dev/null", TRUE);
  envp = g_environ_setenv (envp, "COFFER_SERVER_LISTEN", "127.0.0.1:0", TRUE);
  envp = g_environ_setenv (envp, "COFFER_LOG_LEVEL", "info", TRUE);
  envp = g_environ_setenv (envp, "COFFER_LOG_FORMAT", "text", TRUE);
  if (conninfo)
    envp = g_environ_setenv (envp, "COFFER_DATABASE_URL", conninfo, TRUE);
  if (notify_socket)
    envp = g_environ_setenv (envp, "NOTIFY_SOCKET", notify_socket, TRUE);
  for (guint i = 0; extra_env && extra_env[i]; i++)
    {
      g_auto (GStrv) pair = g_strsplit (extra_env[i], "=", 2);

      envp = g_environ_setenv (envp, pair[0], pair[1] ? pair[1] : "", TRUE);
    }
  return envp;
}

/* A server outlives no test: if the test dies (a failed assertion aborts
 * it), the kernel stops the server too, and nothing holds the test's pipes. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

CofferTestServer *
coffer_test_server_start (const char         *conninfo,
                          const char * const *extra_env,
                          GError            **error)
{
  g_autoptr (CofferTestServer) self = g_new0 (CofferTestServer, 1);
  g_autofree char *directory = g_dir_make_tmp ("coffer-notify-XXXXXX", error);
  g_autofree char *socket_path = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_auto (GStrv) envp = NULL;
  const char *argv[] = { server_path (), "serve", NULL };
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  if (directory == NULL)
    return NULL;
  socket_path = g_build_filename (directory, "notify", NULL);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, error);
  address = g_unix_socket_address_new (socket_path);
  if (socket == NULL || !g_socket_bind (socket, address, TRUE, error))
    return NULL;

  envp = server_environment (conninfo, extra_env, socket_path);
  if (!g_spawn_async (NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
                      NULL, &self->pid, error))
    return NULL;

  while (self->port == 0)
    {
      char buffer[4096];
      gssize received;
      int status;

      if (waitpid (self->pid, &status, WNOHANG) == self->pid)
        {
          self->exited = TRUE;
          self->wait_status = status;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "coffer-server exited before it was ready (status %d)", status);
          g_unlink (socket_path);
          g_rmdir (directory);
          return NULL;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "coffer-server did not report READY=1 within 60 s");
          break;
        }
      if (!g_socket_condition_timed_wait (socket, G_IO_IN, 100000, NULL, NULL))
        continue;
      received = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, NULL);
      if (received <= 0)
        continue;
      buffer[received] = '\0';

      g_auto (GStrv) lines = g_strsplit (buffer, "\n", -1);
      for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix (lines[i], "X_COFFER_LISTEN="))
          {
            const char *value = lines[i] + strlen ("X_COFFER_LISTEN=");
            const char *colon = strrchr (value, ':');
            char *space = strchr (value, ' ');

            if (space)
              *space = '\0';
            self->host = g_strndup (value, colon - value);
            self->port = (guint16) atoi (colon + 1);
          }
    }

  g_unlink (socket_path);
  g_rmdir (directory);
  if (self->port == 0)
    return NULL;
  return g_steal_pointer (&self);
}

const char *
coffer_test_server_get_host (CofferTestServer *self)
{
  return self->host;
}

guint16
coffer_test_server_get_port (CofferTestServer *self)
{
  return self->port;
}

char *
coffer_test_server_url (CofferTestServer *self,
                        const char       *path)
{
  return g_strdup_printf ("http://%s:%u%s", self->host, self->port, path);
}

GPid
coffer_test_server_get_pid (CofferTestServer *self)
{
  return self->pid;
}

void
coffer_test_server_signal (CofferTestServer *self,
                           int               signal_number)
{
  if (!self->exited)
    kill (self->pid, signal_number);
}

/* Waits for the server to exit; returns its exit code, or 128 + signal. */
int
coffer_test_server_wait (CofferTestServer *self)
{
  if (!self->exited)
    {
      while (waitpid (self->pid, &self->wait_status, 0) < 0 && errno == EINTR)
        ;
      self->exited = TRUE;
    }
  if (WIFEXITED (self->wait_status))
    return WEXITSTATUS (self->wait_status);
  return 128 + WTERMSIG (self->wait_status);
}

gboolean
coffer_test_server_is_running (CofferTestServer *self)
{
  int status;

  if (self->exited)
    return FALSE;
  if (waitpid (self->pid, &status, WNOHANG) == self->pid)
    {
      self->exited = TRUE;
      self->wait_status = status;
      return FALSE;
    }
  return TRUE;
}

/* Stops the server with SIGTERM; a server that does not exit cleanly (0)
 * fails the test: sanitizer reports make it exit non-zero. */
void
coffer_test_server_free (CofferTestServer *self)
{
  if (self->pid && !self->exited)
    {
      int code;

      coffer_test_server_signal (self, SIGTERM);
      code = coffer_test_server_wait (self);
      if (code != 0)
        g_error ("coffer-server exited with status %d on SIGTERM", code);
    }
  if (self->pid)
    g_spawn_close_pid (self->pid);
  g_free (self->host);
  g_free (self);
}

guint
coffer_test_process_count_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir))
    count++;
  return count;
}

gint64
coffer_test_process_rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *contents = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  line = strstr (contents, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
}

/* Runs `coffer-server ARGS…` to completion; returns its exit code. */
int
coffer_test_run_server_command (const char * const *args,
                                const char * const *extra_env,
                                char              **out_stdout,
                                char              **out_stderr)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) envp = server_environment (NULL, extra_env, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *discard_out = NULL, *discard_err = NULL;
  int status = 0;

  /* Output is always captured: a test's stdout is TAP and must stay clean. */
  if (out_stdout == NULL)
    out_stdout = &discard_out;
  if (out_stderr == NULL)
    out_stderr = &discard_err;
  g_ptr_array_add (argv, (gpointer) server_path ());
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  envp = g_environ_unsetenv (envp, "NOTIFY_SOCKET");

  if (!g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, out_stdout,
                     out_stderr, &status, &error))
    g_error ("Could not run coffer-server: %s", error->message);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + WTERMSIG (status);
}

GSocketConnection *
coffer_test_http_connect (CofferTestServer *self)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_timeout (client, 30);
  connection = g_socket_client_connect_to_host (client, self->host, self->port, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

gboolean
coffer_test_http_send (GSocketConnection *connection,
                       const char        *data,
                       gsize              length)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  return g_output_stream_write_all (out, data, length, NULL, NULL, NULL);
}

/* Reads one response (Content-Length framed, or until EOF). Returns the
 * header block, or NULL when the connection closed without an answer. */
char *
coffer_test_http_read_response (GSocketConnection *connection,
                                guint             *out_status,
                                char             **out_body)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_autoptr (GString) headers = g_string_new (NULL);
  g_autoptr (GString) body = g_string_new (NULL);
  const char *length_header;
  gssize content_length = -1;
  char byte;

  while (!g_str_has_suffix (headers->str, "\r\n\r\n"))
    {
      if (g_input_stream_read (in, &byte, 1, NULL, NULL) != 1)
        return NULL;
      g_string_append_c (headers, byte);
    }
  if (out_status)
    *out_status = (guint) atoi (headers->str + strlen ("HTTP/1.1 "));

  g_autofree char *lower = g_ascii_strdown (headers->str, -1);
  length_header = strstr (lower, "\r\ncontent-length:");
  if (length_header)
    content_length = atoi (length_header + strlen ("\r\ncontent-length:"));
  while (content_length < 0 || (gssize) body->len < content_length)
    {
      char buffer[4096];
      gsize want = content_length < 0 ? sizeof buffer
                                      : MIN (sizeof buffer, (gsize) content_length - body->len);
      gssize got = g_input_stream_read (in, buffer, want, NULL, NULL);

      if (got <= 0)
        break;
      g_string_append_len (body, buffer, got);
    }
  if (out_body)
    *out_body = g_strdup (body->str);
  return g_string_free (g_steal_pointer (&headers), FALSE);
}

/* Sends @request (a full request text) on a new connection; returns the status. */
guint
coffer_test_http_get (CofferTestServer *self,
                      const char       *request,
                      char            **out_headers,
                      char            **out_body)
{
  g_autoptr (GSocketConnection) connection = coffer_test_http_connect (self);
  g_autofree char *headers = NULL;
  guint status = 0;

  /* The server may answer (413, say) and stop reading before all is sent:
   * the answer is what counts. */
  coffer_test_http_send (connection, request, strlen (request));
  headers = coffer_test_http_read_response (connection, &status, out_body);
  if (out_headers)
    *out_headers = g_steal_pointer (&headers);
  return status;
}
