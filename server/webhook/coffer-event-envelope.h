/* coffer-event-envelope.h: a Stripe event's top-level fields, read in one strict pass. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *id;
  char    *type;
  char    *api_version;
  gint64   created;
  gboolean has_created;
  int      livemode;   /* -1: absent or not a boolean */
  /* Set when a member is present with the wrong JSON type. */
  gboolean id_is_string;
  gboolean type_is_string;
} CofferEventEnvelope;

void     coffer_event_envelope_clear (CofferEventEnvelope *envelope);
gboolean coffer_event_envelope_parse (const char          *data,
                                      gsize                length,
                                      guint                max_depth,
                                      CofferEventEnvelope *out,
                                      char               **out_problem);

G_END_DECLS
