/* coffer-http-error.h: the one JSON error shape every endpoint answers with. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* error.type values, as Stripe names its own. */
#define COFFER_ERROR_TYPE_INVALID_REQUEST "invalid_request_error"
#define COFFER_ERROR_TYPE_AUTHENTICATION  "authentication_error"
#define COFFER_ERROR_TYPE_PERMISSION      "permission_error"
#define COFFER_ERROR_TYPE_NOT_FOUND       "not_found_error"
#define COFFER_ERROR_TYPE_RATE_LIMIT      "rate_limit_error"
#define COFFER_ERROR_TYPE_UNAVAILABLE     "service_unavailable_error"
#define COFFER_ERROR_TYPE_API             "api_error"

char *coffer_http_error_to_json (const char *type,
                                 const char *code,
                                 const char *message,
                                 const char *param);

G_END_DECLS
