/* coffer-test-stripe.h: signed Stripe webhook requests for tests and benchmarks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char    *coffer_test_stripe_shared_path  (const char *relative);
gboolean coffer_test_stripe_have_events (void);
char *coffer_test_stripe_sign         (const char *payload,
                                       gsize       length,
                                       const char *secret,
                                       gint64      timestamp);
char *coffer_test_stripe_event        (const char *template_file,
                                       const char *event_id,
                                       gint64      created);
char *coffer_test_stripe_request      (const char *payload,
                                       gsize       length,
                                       const char *signature_header,
                                       const char *content_type);

G_END_DECLS
