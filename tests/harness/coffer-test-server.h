/* coffer-test-server.h: the real coffer-server, started on an ephemeral loopback port. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _CofferTestServer CofferTestServer;

CofferTestServer *coffer_test_server_start      (const char        *conninfo,
                                                 const char * const *extra_env,
                                                 GError           **error);
const char       *coffer_test_server_get_host   (CofferTestServer  *self);
guint16           coffer_test_server_get_port   (CofferTestServer  *self);
char             *coffer_test_server_url        (CofferTestServer  *self,
                                                 const char        *path);
GPid              coffer_test_server_get_pid    (CofferTestServer  *self);
void              coffer_test_server_signal     (CofferTestServer  *self,
                                                 int                signal_number);
int               coffer_test_server_wait       (CofferTestServer  *self);
gboolean          coffer_test_server_is_running (CofferTestServer  *self);
void              coffer_test_server_free       (CofferTestServer  *self);
guint             coffer_test_process_count_fds (GPid               pid);
gint64            coffer_test_process_rss_kib   (GPid               pid);
int               coffer_test_run_server_command (const char * const *args,
                                                  const char * const *extra_env,
                                                  char              **out_stdout,
                                                  char              **out_stderr);

/* A minimal HTTP/1.1 exchange over a fresh connection, for tests that need
 * exact control of the bytes (hostile input, keep-alive, slow bodies). */
GSocketConnection *coffer_test_http_connect     (CofferTestServer  *self);
gboolean           coffer_test_http_send        (GSocketConnection *connection,
                                                 const char        *data,
                                                 gsize              length);
char              *coffer_test_http_read_response (GSocketConnection *connection,
                                                   guint             *out_status,
                                                   char             **out_body);
guint              coffer_test_http_get         (CofferTestServer  *self,
                                                 const char        *request,
                                                 char             **out_headers,
                                                 char             **out_body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CofferTestServer, coffer_test_server_free)

G_END_DECLS
