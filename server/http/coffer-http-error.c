/* coffer-http-error.c: {"error": {"type", "code", "message", "param"}}. */
#include "config.h"

#include "coffer-http-error.h"

#include <json-glib/json-glib.h>

char *
coffer_http_error_to_json (const char *type,
                           const char *code,
                           const char *message,
                           const char *param)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "param");
  if (param)
    json_builder_add_string_value (builder, param);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}
