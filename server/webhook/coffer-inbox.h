/* coffer-inbox.h: stores received Stripe events, many requests per commit. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define COFFER_INBOX_ERROR (coffer_inbox_error_quark ())

typedef enum
{
  COFFER_INBOX_ERROR_NOT_JSON,          /* the body is not a JSON object */
  COFFER_INBOX_ERROR_NOT_AN_EVENT,      /* no usable id, type, created or livemode */
  COFFER_INBOX_ERROR_LIVEMODE_MISMATCH, /* a live event for a test key, or the reverse */
  COFFER_INBOX_ERROR_UNAVAILABLE,       /* the database could not store it: try again */
} CofferInboxError;

typedef enum
{
  COFFER_INBOX_MODE_ANY,
  COFFER_INBOX_MODE_TEST,
  COFFER_INBOX_MODE_LIVE,
} CofferInboxMode;

typedef struct
{
  char    *event_id;
  char    *event_type;
  gboolean duplicate;  /* Stripe sent it before; no second row */
} CofferInboxReceipt;

void coffer_inbox_receipt_free (CofferInboxReceipt *receipt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CofferInboxReceipt, coffer_inbox_receipt_free)

#define COFFER_TYPE_INBOX (coffer_inbox_get_type ())
G_DECLARE_FINAL_TYPE (CofferInbox, coffer_inbox, COFFER, INBOX, GObject)

GQuark              coffer_inbox_error_quark (void);
CofferInboxMode     coffer_inbox_mode_for_key (const char          *secret_key);
CofferInbox        *coffer_inbox_new         (const char          *conninfo,
                                              const char          *password,
                                              guint                n_writers,
                                              CofferInboxMode      mode);
void                coffer_inbox_store_async (CofferInbox         *self,
                                              GBytes              *body,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
CofferInboxReceipt *coffer_inbox_store_finish (CofferInbox        *self,
                                               GAsyncResult       *result,
                                               GError            **error);
void                coffer_inbox_close       (CofferInbox         *self);

G_END_DECLS
