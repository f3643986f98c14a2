/* coffer-router.h: method + path pattern → handler, with a body limit per route. */
#pragma once

#include <glib-object.h>

#include "coffer-request.h"

G_BEGIN_DECLS

/* A route's body limit: the server's [server] max_body_size. */
#define COFFER_ROUTE_BODY_DEFAULT G_MAXSIZE

typedef void (*CofferRouteHandler) (CofferRequest *request,
                                    gpointer       user_data);

typedef struct _CofferRoute CofferRoute;

typedef enum
{
  COFFER_ROUTE_FOUND,
  COFFER_ROUTE_NOT_FOUND,
  COFFER_ROUTE_METHOD_NOT_ALLOWED,
} CofferRouteMatch;

#define COFFER_TYPE_ROUTER (coffer_router_get_type ())
G_DECLARE_FINAL_TYPE (CofferRouter, coffer_router, COFFER, ROUTER, GObject)

CofferRouter       *coffer_router_new              (void);
void                coffer_router_add              (CofferRouter        *self,
                                                    const char          *method,
                                                    const char          *pattern,
                                                    gsize                max_body,
                                                    CofferRouteHandler   handler,
                                                    gpointer             user_data);
CofferRouteMatch    coffer_router_match            (CofferRouter        *self,
                                                    const char          *method,
                                                    const char          *path,
                                                    const CofferRoute  **out_route,
                                                    GHashTable         **out_params,
                                                    char               **out_allowed);
GPtrArray          *coffer_router_list_patterns    (CofferRouter        *self);
const char         *coffer_route_get_pattern       (const CofferRoute   *route);
gsize               coffer_route_get_max_body      (const CofferRoute   *route);
void                coffer_route_invoke            (const CofferRoute   *route,
                                                    CofferRequest       *request);

G_END_DECLS
