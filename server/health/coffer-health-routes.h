/* coffer-health-routes.h: /healthz, /readyz and /metrics. */
#pragma once

#include "coffer-server-context.h"
#include "http/coffer-router.h"

G_BEGIN_DECLS

void coffer_health_routes_register (CofferRouter        *router,
                                    CofferServerContext *context);

G_END_DECLS
