/* coffer-request.h: one HTTP request as route handlers see it, and its answer. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define COFFER_TYPE_REQUEST (coffer_request_get_type ())
G_DECLARE_FINAL_TYPE (CofferRequest, coffer_request, COFFER, REQUEST, GObject)

CofferRequest     *coffer_request_new             (SoupServerMessage *message,
                                                   const char        *request_id);
SoupServerMessage *coffer_request_get_message     (CofferRequest     *self);
const char        *coffer_request_get_id          (CofferRequest     *self);
const char        *coffer_request_get_method      (CofferRequest     *self);
const char        *coffer_request_get_path        (CofferRequest     *self);
const char        *coffer_request_get_route       (CofferRequest     *self);
const char        *coffer_request_get_header      (CofferRequest     *self,
                                                   const char        *name);
const char        *coffer_request_get_path_param  (CofferRequest     *self,
                                                   const char        *name);
GBytes            *coffer_request_get_body        (CofferRequest     *self);
GCancellable      *coffer_request_get_cancellable (CofferRequest     *self);
gint64             coffer_request_get_start_usec  (CofferRequest     *self);
gboolean           coffer_request_has_responded   (CofferRequest     *self);
void               coffer_request_respond         (CofferRequest     *self,
                                                   guint              status,
                                                   const char        *content_type,
                                                   const char        *body,
                                                   gsize              length);
void               coffer_request_respond_json    (CofferRequest     *self,
                                                   guint              status,
                                                   JsonNode          *root);
void               coffer_request_respond_error   (CofferRequest     *self,
                                                   guint              status,
                                                   const char        *type,
                                                   const char        *code,
                                                   const char        *param,
                                                   const char        *message_format,
                                                   ...) G_GNUC_PRINTF (6, 7);

/* For the HTTP server only. */
void               coffer_request_set_route       (CofferRequest     *self,
                                                   const char        *route,
                                                   GHashTable        *path_params);
void               coffer_request_pause           (CofferRequest     *self);
void               coffer_request_set_closing     (CofferRequest     *self,
                                                   gboolean           closing);

G_END_DECLS
