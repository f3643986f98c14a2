/* coffer-webhook-routes.h: POST /v1/stripe/webhook. */
#pragma once

#include "coffer-server-context.h"
#include "http/coffer-router.h"
#include "webhook/coffer-inbox.h"

G_BEGIN_DECLS

typedef struct _CofferWebhookRoutes CofferWebhookRoutes;

CofferWebhookRoutes *coffer_webhook_routes_register (CofferRouter        *router,
                                                     CofferServerContext *context,
                                                     CofferInbox         *inbox);
void                 coffer_webhook_routes_free     (CofferWebhookRoutes *self);

G_END_DECLS
