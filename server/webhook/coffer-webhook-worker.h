/* coffer-webhook-worker.h: threads that apply stored Stripe events to the mirror. */
#pragma once

#include <glib-object.h>

#include "coffer-clock.h"
#include "metrics/coffer-metrics.h"

G_BEGIN_DECLS

typedef struct
{
  const char   *conninfo;
  const char   *password;
  guint         n_threads;
  guint         max_attempts;
  guint         retry_base_s;
  guint         retry_max_s;
  guint         statement_timeout_ms;
} CofferWebhookWorkerOptions;

#define COFFER_TYPE_WEBHOOK_WORKER (coffer_webhook_worker_get_type ())
G_DECLARE_FINAL_TYPE (CofferWebhookWorker, coffer_webhook_worker, COFFER, WEBHOOK_WORKER, GObject)

CofferWebhookWorker *coffer_webhook_worker_new   (const CofferWebhookWorkerOptions *options,
                                                  CofferClock                      *clock,
                                                  CofferMetrics                    *metrics);
void                 coffer_webhook_worker_stop  (CofferWebhookWorker              *self);
gint64               coffer_webhook_retry_delay_s (guint                            attempts,
                                                   guint                            base_s,
                                                   guint                            max_s,
                                                   guint32                          random);

G_END_DECLS
