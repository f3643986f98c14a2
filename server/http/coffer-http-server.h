/* coffer-http-server.h: our accept loop in front of libsoup's SoupServer. */
#pragma once

#include <gio/gio.h>

#include "coffer-router.h"
#include "metrics/coffer-metrics.h"

G_BEGIN_DECLS

typedef struct
{
  const char * const *listen;           /* "host:port", "[v6]:port" */
  guint               max_connections;
  guint               idle_timeout_s;
  guint               header_timeout_s;
  gsize               max_body_size;
  const char         *tls_certificate;  /* PEM files; both or neither */
  const char         *tls_key;
} CofferHttpServerOptions;

#define COFFER_TYPE_HTTP_SERVER (coffer_http_server_get_type ())
G_DECLARE_FINAL_TYPE (CofferHttpServer, coffer_http_server, COFFER, HTTP_SERVER, GObject)

CofferHttpServer *coffer_http_server_new              (CofferRouter                  *router,
                                                       CofferMetrics                 *metrics,
                                                       const CofferHttpServerOptions *options,
                                                       GError                       **error);
gboolean          coffer_http_server_start            (CofferHttpServer              *self,
                                                       GError                       **error);
GStrv             coffer_http_server_get_addresses    (CofferHttpServer              *self);
void              coffer_http_server_stop_accepting   (CofferHttpServer              *self);
guint             coffer_http_server_get_in_flight    (CofferHttpServer              *self);
guint             coffer_http_server_get_connections  (CofferHttpServer              *self);
void              coffer_http_server_close            (CofferHttpServer              *self);
gboolean          coffer_http_parse_address           (const char                    *text,
                                                       GInetSocketAddress           **out_address,
                                                       GError                       **error);

G_END_DECLS
