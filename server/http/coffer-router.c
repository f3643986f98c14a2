/* coffer-router.c: a small router. Patterns are literal segments and
 * "{name}" segments, which match one non-empty segment and become path
 * parameters: "/admin/v1/customers/{id}". GET routes also answer HEAD. */
#include "config.h"

#include "coffer-router.h"

#include <string.h>

struct _CofferRoute
{
  char               *method;
  char               *pattern;
  char              **segments;
  gsize               max_body;
  CofferRouteHandler  handler;
  gpointer            user_data;
};

struct _CofferRouter
{
  GObject    parent_instance;
  GPtrArray *routes;
};

G_DEFINE_FINAL_TYPE (CofferRouter, coffer_router, G_TYPE_OBJECT)

static void
route_free (gpointer data)
{
  CofferRoute *route = data;

  g_free (route->method);
  g_free (route->pattern);
  g_strfreev (route->segments);
  g_free (route);
}

static void
coffer_router_finalize (GObject *object)
{
  CofferRouter *self = COFFER_ROUTER (object);

  g_ptr_array_unref (self->routes);
  G_OBJECT_CLASS (coffer_router_parent_class)->finalize (object);
}

static void
coffer_router_class_init (CofferRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = coffer_router_finalize;
}

static void
coffer_router_init (CofferRouter *self)
{
  self->routes = g_ptr_array_new_with_free_func (route_free);
}

CofferRouter *
coffer_router_new (void)
{
  return g_object_new (COFFER_TYPE_ROUTER, NULL);
}

static char **
split_path (const char *path)
{
  /* "/a/b/" → {"a", "b"}: empty segments are not significant. */
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  GPtrArray *segments = g_ptr_array_new ();

  for (guint i = 0; parts[i]; i++)
    if (*parts[i])
      g_ptr_array_add (segments, g_strdup (parts[i]));
  g_ptr_array_add (segments, NULL);
  return (char **) g_ptr_array_free (segments, FALSE);
}

static gboolean
segment_is_param (const char *segment)
{
  gsize length = strlen (segment);

  return length > 2 && segment[0] == '{' && segment[length - 1] == '}';
}

void
coffer_router_add (CofferRouter       *self,
                   const char         *method,
                   const char         *pattern,
                   gsize               max_body,
                   CofferRouteHandler  handler,
                   gpointer            user_data)
{
  CofferRoute *route = g_new0 (CofferRoute, 1);

  g_return_if_fail (pattern[0] == '/');

  route->method = g_strdup (method);
  route->pattern = g_strdup (pattern);
  route->segments = split_path (pattern);
  route->max_body = max_body;
  route->handler = handler;
  route->user_data = user_data;
  g_ptr_array_add (self->routes, route);
}

static gboolean
route_matches_path (const CofferRoute  *route,
                    char              **segments,
                    GHashTable        **out_params)
{
  g_autoptr (GHashTable) params = NULL;
  guint i;

  for (i = 0; route->segments[i] && segments[i]; i++)
    {
      if (segment_is_param (route->segments[i]))
        {
          const char *name = route->segments[i] + 1;

          if (params == NULL)
            params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_insert (params, g_strndup (name, strlen (name) - 1),
                               g_uri_unescape_string (segments[i], NULL));
        }
      else if (strcmp (route->segments[i], segments[i]) != 0)
        return FALSE;
    }
  if (route->segments[i] || segments[i])
    return FALSE;
  if (out_params)
    *out_params = g_steal_pointer (&params);
  return TRUE;
}

static gboolean
method_matches (const CofferRoute *route,
                const char        *method)
{
  return strcmp (route->method, method) == 0 ||
         (strcmp (method, "HEAD") == 0 && strcmp (route->method, "GET") == 0);
}

CofferRouteMatch
coffer_router_match (CofferRouter       *self,
                     const char         *method,
                     const char         *path,
                     const CofferRoute **out_route,
                     GHashTable        **out_params,
                     char              **out_allowed)
{
  g_auto (GStrv) segments = split_path (path);
  g_autoptr (GString) allowed = NULL;

  for (guint i = 0; i < self->routes->len; i++)
    {
      const CofferRoute *route = g_ptr_array_index (self->routes, i);
      g_autoptr (GHashTable) params = NULL;

      if (!route_matches_path (route, segments, &params))
        continue;
      if (method_matches (route, method))
        {
          *out_route = route;
          if (out_params)
            *out_params = g_steal_pointer (&params);
          return COFFER_ROUTE_FOUND;
        }
      if (allowed == NULL)
        allowed = g_string_new (NULL);
      else
        g_string_append (allowed, ", ");
      g_string_append (allowed, route->method);
      if (strcmp (route->method, "GET") == 0)
        g_string_append (allowed, ", HEAD");
    }

  *out_route = NULL;
  if (allowed == NULL)
    return COFFER_ROUTE_NOT_FOUND;
  if (out_allowed)
    *out_allowed = g_string_free (g_steal_pointer (&allowed), FALSE);
  return COFFER_ROUTE_METHOD_NOT_ALLOWED;
}

/* "METHOD pattern" for each route, in registration order. */
GPtrArray *
coffer_router_list_patterns (CofferRouter *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < self->routes->len; i++)
    {
      const CofferRoute *route = g_ptr_array_index (self->routes, i);

      g_ptr_array_add (list, g_strdup_printf ("%s %s", route->method, route->pattern));
    }
  return list;
}

const char *
coffer_route_get_pattern (const CofferRoute *route)
{
  return route->pattern;
}

gsize
coffer_route_get_max_body (const CofferRoute *route)
{
  return route->max_body;
}

void
coffer_route_invoke (const CofferRoute *route,
                     CofferRequest     *request)
{
  route->handler (request, route->user_data);
}
