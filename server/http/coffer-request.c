/* coffer-request.c: wraps a SoupServerMessage for route handlers.
 *
 * A handler answers at once or later: when it returns without answering, the
 * server pauses the message and this object unpauses it on the answer. If the
 * client went away meanwhile the message is left alone (unpausing a message
 * whose connection is gone is a critical in libsoup 3.2). */
#include "config.h"

#include "coffer-request.h"
#include "coffer-http-error.h"

#include <string.h>

struct _CofferRequest
{
  GObject            parent_instance;

  SoupServerMessage *message;
  char              *id;
  char              *route;
  GHashTable        *path_params;
  GCancellable      *cancellable;
  GBytes            *body;
  gint64             start_usec;
  gulong             disconnected_id;
  gboolean           responded;
  gboolean           paused;
  gboolean           disconnected;
  gboolean           closing;
};

G_DEFINE_FINAL_TYPE (CofferRequest, coffer_request, G_TYPE_OBJECT)

static void
coffer_request_dispose (GObject *object)
{
  CofferRequest *self = COFFER_REQUEST (object);

  /* The message owns us through object data and may outlive nobody's
   * interest in it, so it is held by a weak pointer, cleared when it goes. */
  if (self->message)
    {
      g_clear_signal_handler (&self->disconnected_id, self->message);
      g_object_remove_weak_pointer (G_OBJECT (self->message), (gpointer *) &self->message);
      self->message = NULL;
    }

  G_OBJECT_CLASS (coffer_request_parent_class)->dispose (object);
}

static void
coffer_request_finalize (GObject *object)
{
  CofferRequest *self = COFFER_REQUEST (object);

  g_free (self->id);
  g_free (self->route);
  g_clear_pointer (&self->path_params, g_hash_table_unref);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (coffer_request_parent_class)->finalize (object);
}

static void
coffer_request_class_init (CofferRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = coffer_request_dispose;
  object_class->finalize = coffer_request_finalize;
}

static void
coffer_request_init (CofferRequest *self)
{
  self->cancellable = g_cancellable_new ();
}

static void
on_disconnected (SoupServerMessage *message,
                 CofferRequest     *self)
{
  self->disconnected = TRUE;
  g_cancellable_cancel (self->cancellable);
}

CofferRequest *
coffer_request_new (SoupServerMessage *message,
                    const char        *request_id)
{
  CofferRequest *self = g_object_new (COFFER_TYPE_REQUEST, NULL);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  self->message = message;
  g_object_add_weak_pointer (G_OBJECT (message), (gpointer *) &self->message);
  self->id = g_strdup (request_id);
  self->start_usec = g_get_monotonic_time ();
  self->disconnected_id = g_signal_connect (message, "disconnected",
                                            G_CALLBACK (on_disconnected), self);
  soup_message_headers_replace (headers, "X-Request-Id", request_id);
  return self;
}

SoupServerMessage *
coffer_request_get_message (CofferRequest *self)
{
  return self->message;
}

const char *
coffer_request_get_id (CofferRequest *self)
{
  return self->id;
}

const char *
coffer_request_get_method (CofferRequest *self)
{
  return self->message ? soup_server_message_get_method (self->message) : NULL;
}

const char *
coffer_request_get_path (CofferRequest *self)
{
  return self->message ? g_uri_get_path (soup_server_message_get_uri (self->message)) : NULL;
}

const char *
coffer_request_get_route (CofferRequest *self)
{
  return self->route ? self->route : "unmatched";
}

const char *
coffer_request_get_header (CofferRequest *self,
                           const char    *name)
{
  if (self->message == NULL)
    return NULL;
  return soup_message_headers_get_one (soup_server_message_get_request_headers (self->message),
                                       name);
}

const char *
coffer_request_get_path_param (CofferRequest *self,
                               const char    *name)
{
  return self->path_params ? g_hash_table_lookup (self->path_params, name) : NULL;
}

/* The whole request body, read before the handler ran (bounded per route). */
GBytes *
coffer_request_get_body (CofferRequest *self)
{
  if (self->body == NULL && self->message)
    self->body = soup_message_body_flatten (soup_server_message_get_request_body (self->message));
  return self->body;
}

/* Cancelled when the client disconnects. */
GCancellable *
coffer_request_get_cancellable (CofferRequest *self)
{
  return self->cancellable;
}

gint64
coffer_request_get_start_usec (CofferRequest *self)
{
  return self->start_usec;
}

gboolean
coffer_request_has_responded (CofferRequest *self)
{
  return self->responded;
}

void
coffer_request_set_route (CofferRequest *self,
                          const char    *route,
                          GHashTable    *path_params)
{
  g_free (self->route);
  self->route = g_strdup (route);
  g_clear_pointer (&self->path_params, g_hash_table_unref);
  self->path_params = path_params ? g_hash_table_ref (path_params) : NULL;
}

void
coffer_request_pause (CofferRequest *self)
{
  if (self->responded || self->paused || self->message == NULL)
    return;
  self->paused = TRUE;
  soup_server_message_pause (self->message);
}

/* While the server shuts down every answer closes its connection. */
void
coffer_request_set_closing (CofferRequest *self,
                            gboolean       closing)
{
  self->closing = closing;
}

void
coffer_request_respond (CofferRequest *self,
                        guint          status,
                        const char    *content_type,
                        const char    *body,
                        gsize          length)
{
  SoupMessageHeaders *headers;

  g_return_if_fail (!self->responded);
  self->responded = TRUE;

  if (self->message == NULL || self->disconnected)
    return;

  headers = soup_server_message_get_response_headers (self->message);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  if (self->closing)
    soup_message_headers_replace (headers, "Connection", "close");
  soup_server_message_set_status (self->message, status, NULL);
  soup_server_message_set_response (self->message, content_type, SOUP_MEMORY_COPY, body,
                                    length);
  if (self->paused)
    {
      self->paused = FALSE;
      soup_server_message_unpause (self->message);
    }
}

void
coffer_request_respond_json (CofferRequest *self,
                             guint          status,
                             JsonNode      *root)
{
  gsize length = 0;
  g_autofree char *text = json_to_string (root, FALSE);

  length = strlen (text);
  coffer_request_respond (self, status, "application/json; charset=utf-8", text, length);
}

void
coffer_request_respond_error (CofferRequest *self,
                              guint          status,
                              const char    *type,
                              const char    *code,
                              const char    *param,
                              const char    *message_format,
                              ...)
{
  g_autofree char *message = NULL;
  g_autofree char *json = NULL;
  va_list args;

  va_start (args, message_format);
  message = g_strdup_vprintf (message_format, args);
  va_end (args);

  json = coffer_http_error_to_json (type, code, message, param);
  coffer_request_respond (self, status, "application/json; charset=utf-8", json, strlen (json));
}
