/* coffer-webhook-json.c: typed, null-tolerant access to members of Stripe objects. */
#include "config.h"

#include "coffer-webhook-json.h"
#include "coffer-webhook-apply.h"

#include <string.h>

/* How a node is shown in an error message: its JSON, cut short. */
static char *
describe_node (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  const char *kind;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return g_strdup ("an object");
    case JSON_NODE_ARRAY:
      return g_strdup ("an array");
    case JSON_NODE_NULL:
      return g_strdup ("null");
    case JSON_NODE_VALUE:
    default:
      break;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      kind = "a string";
      break;
    case G_TYPE_INT64:
      kind = "an integer";
      break;
    case G_TYPE_DOUBLE:
      kind = "a number with a fraction";
      break;
    case G_TYPE_BOOLEAN:
      kind = "a boolean";
      break;
    default:
      kind = "a value";
      break;
    }
  if (strlen (text) > 40)
    return g_strdup_printf ("%.37s… (%s)", text, kind);
  return g_strdup_printf ("%s (%s)", text, kind);
}

static void
set_wrong_type (GError     **error,
                const char  *member,
                JsonNode    *node,
                const char  *expected)
{
  g_autofree char *found = NULL;

  if (error == NULL || *error != NULL)
    return;
  found = describe_node (node);
  g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
               "“%s” is %s, expected %s", member, found, expected);
}

static void
set_missing (GError     **error,
             const char  *member)
{
  if (error == NULL || *error != NULL)
    return;
  g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
               "“%s” is missing or null", member);
}

/* The member's node, or NULL when it is absent or null. */
static JsonNode *
get_node (JsonObject *object,
          const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
holds_value_of_type (JsonNode *node,
                     GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

const char *
coffer_webhook_json_get_string (JsonObject  *object,
                                const char  *member,
                                GError     **error)
{
  JsonNode *node = get_node (object, member);

  if (node == NULL)
    return NULL;
  if (!holds_value_of_type (node, G_TYPE_STRING))
    {
      set_wrong_type (error, member, node, "a string");
      return NULL;
    }
  return json_node_get_string (node);
}

/* Returns whether the member holds an integer; *@out_value is 0 otherwise. */
gboolean
coffer_webhook_json_get_int (JsonObject  *object,
                             const char  *member,
                             gint64      *out_value,
                             GError     **error)
{
  JsonNode *node = get_node (object, member);

  *out_value = 0;
  if (node == NULL)
    return FALSE;
  if (!holds_value_of_type (node, G_TYPE_INT64))
    {
      set_wrong_type (error, member, node, "an integer");
      return FALSE;
    }
  *out_value = json_node_get_int (node);
  return TRUE;
}

/* An absent or null boolean reads as FALSE, as Stripe means it. */
gboolean
coffer_webhook_json_get_boolean (JsonObject  *object,
                                 const char  *member,
                                 GError     **error)
{
  JsonNode *node = get_node (object, member);

  if (node == NULL)
    return FALSE;
  if (!holds_value_of_type (node, G_TYPE_BOOLEAN))
    {
      set_wrong_type (error, member, node, "a boolean");
      return FALSE;
    }
  return json_node_get_boolean (node);
}

JsonObject *
coffer_webhook_json_get_object (JsonObject  *object,
                                const char  *member,
                                GError     **error)
{
  JsonNode *node = get_node (object, member);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_wrong_type (error, member, node, "an object");
      return NULL;
    }
  return json_node_get_object (node);
}

/* Walks a dotted path of objects ("parent.subscription_details"); NULL as
 * soon as one step is absent or null. */
JsonObject *
coffer_webhook_json_get_path (JsonObject  *object,
                              const char  *path,
                              GError     **error)
{
  char step[64];

  while (object != NULL && *path != '\0')
    {
      gsize length = strcspn (path, ".");

      g_return_val_if_fail (length < sizeof step, NULL);
      memcpy (step, path, length);
      step[length] = '\0';
      object = coffer_webhook_json_get_object (object, step, error);
      path += path[length] == '.' ? length + 1 : length;
    }
  return object;
}

/* An expandable field: Stripe sends either the id or, when expanded, the
 * object itself with its "id". */
const char *
coffer_webhook_json_get_id (JsonObject  *object,
                            const char  *member,
                            GError     **error)
{
  JsonNode *node = get_node (object, member);
  const char *id;

  if (node == NULL)
    return NULL;
  if (holds_value_of_type (node, G_TYPE_STRING))
    id = json_node_get_string (node);
  else if (JSON_NODE_HOLDS_OBJECT (node))
    id = coffer_webhook_json_get_string (json_node_get_object (node), "id", error);
  else
    {
      set_wrong_type (error, member, node, "an id or an object");
      return NULL;
    }

  if (id == NULL || *id == '\0')
    {
      set_wrong_type (error, member, node, "an id or an object with an id");
      return NULL;
    }
  return id;
}

/* The "data" of a list object ({"object": "list", "data": [...], "has_more"}).
 * Returns NULL when the member is absent or null. */
JsonArray *
coffer_webhook_json_get_list (JsonObject  *object,
                              const char  *member,
                              gboolean    *out_has_more,
                              GError     **error)
{
  JsonObject *list = coffer_webhook_json_get_object (object, member, error);
  JsonNode *data;

  *out_has_more = FALSE;
  if (list == NULL)
    return NULL;
  data = get_node (list, "data");
  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data))
    {
      if (data == NULL)
        set_missing (error, member);
      else
        set_wrong_type (error, member, data, "a list whose “data” is an array");
      return NULL;
    }
  *out_has_more = coffer_webhook_json_get_boolean (list, "has_more", error);
  return json_node_get_array (data);
}

JsonObject *
coffer_webhook_json_get_element (JsonArray   *array,
                                 const char  *list_name,
                                 guint        index,
                                 GError     **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *name = g_strdup_printf ("%s[%u]", list_name, index);

      set_wrong_type (error, name, node, "an object");
      return NULL;
    }
  return json_node_get_object (node);
}

/* Stripe writes currencies in lower case; Coffer stores ISO 4217 upper case. */
char *
coffer_webhook_json_get_currency (JsonObject  *object,
                                  const char  *member,
                                  GError     **error)
{
  const char *currency = coffer_webhook_json_get_string (object, member, error);

  if (currency == NULL)
    return NULL;
  if (strlen (currency) != 3 || !g_ascii_isalpha (currency[0]) ||
      !g_ascii_isalpha (currency[1]) || !g_ascii_isalpha (currency[2]))
    {
      if (error && *error == NULL)
        g_set_error (error, COFFER_WEBHOOK_ERROR, COFFER_WEBHOOK_ERROR_MALFORMED,
                     "“%s” is “%s”, not a three-letter ISO 4217 currency code", member,
                     currency);
      return NULL;
    }
  return g_ascii_strup (currency, -1);
}

/* The object's metadata as JSON text for a jsonb column ("{}" when none). */
char *
coffer_webhook_json_get_metadata (JsonObject  *object,
                                  GError     **error)
{
  JsonNode *node = get_node (object, "metadata");

  if (node == NULL)
    return g_strdup ("{}");
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_wrong_type (error, "metadata", node, "an object");
      return g_strdup ("{}");
    }
  return json_to_string (node, FALSE);
}

const char *
coffer_webhook_json_require_string (JsonObject  *object,
                                    const char  *member,
                                    GError     **error)
{
  JsonNode *node = get_node (object, member);
  const char *value;

  if (node == NULL)
    {
      set_missing (error, member);
      return NULL;
    }
  value = coffer_webhook_json_get_string (object, member, error);
  if (value != NULL && *value == '\0')
    {
      set_wrong_type (error, member, node, "a non-empty string");
      return NULL;
    }
  return value;
}

gint64
coffer_webhook_json_require_int (JsonObject  *object,
                                 const char  *member,
                                 GError     **error)
{
  gint64 value;

  if (get_node (object, member) == NULL)
    {
      set_missing (error, member);
      return 0;
    }
  coffer_webhook_json_get_int (object, member, &value, error);
  return value;
}

char *
coffer_webhook_json_require_currency (JsonObject  *object,
                                      const char  *member,
                                      GError     **error)
{
  if (get_node (object, member) == NULL)
    {
      set_missing (error, member);
      return NULL;
    }
  return coffer_webhook_json_get_currency (object, member, error);
}

/* Records, written directly: building JsonNodes only to print them cost more
 * than the statement they feed. */
GString *
coffer_webhook_records_new (void)
{
  return g_string_new ("[");
}

/* Closes the array and returns its text. */
char *
coffer_webhook_records_free (GString *records)
{
  g_string_append_c (records, ']');
  return g_string_free (records, FALSE);
}

static void
append_separator (GString *records)
{
  char last = records->len > 0 ? records->str[records->len - 1] : '[';

  if (last != '[' && last != '{')
    g_string_append_c (records, ',');
}

static void
append_quoted (GString    *records,
               const char *text)
{
  g_string_append_c (records, '"');
  for (const char *p = text; *p; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (records, '\\');
          g_string_append_c (records, (char) c);
        }
      else if (c < 0x20)
        g_string_append_printf (records, "\\u%04x", c);
      else
        g_string_append_c (records, (char) c);
    }
  g_string_append_c (records, '"');
}

/* A string as an element of the array itself, not of a record. */
void
coffer_webhook_records_add_string (GString    *records,
                                   const char *value)
{
  append_separator (records);
  append_quoted (records, value);
}

void
coffer_webhook_record_begin (GString *records)
{
  append_separator (records);
  g_string_append_c (records, '{');
}

void
coffer_webhook_record_end (GString *records)
{
  g_string_append_c (records, '}');
}

void
coffer_webhook_record_add_string (GString    *records,
                                  const char *member,
                                  const char *value)
{
  if (value == NULL)
    return;
  append_separator (records);
  append_quoted (records, member);
  g_string_append_c (records, ':');
  append_quoted (records, value);
}

void
coffer_webhook_record_add_int (GString    *records,
                               const char *member,
                               gint64      value)
{
  append_separator (records);
  append_quoted (records, member);
  g_string_append_printf (records, ":%" G_GINT64_FORMAT, value);
}

void
coffer_webhook_record_add_boolean (GString    *records,
                                   const char *member,
                                   gboolean    value)
{
  append_separator (records);
  append_quoted (records, member);
  g_string_append (records, value ? ":true" : ":false");
}

/* A JSON value as it is (an object's metadata, say). */
void
coffer_webhook_record_add_json (GString    *records,
                                const char *member,
                                JsonNode   *value)
{
  g_autofree char *text = NULL;

  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    return;
  append_separator (records);
  append_quoted (records, member);
  g_string_append_c (records, ':');
  if (JSON_NODE_HOLDS_OBJECT (value) && json_object_get_size (json_node_get_object (value)) == 0)
    {
      g_string_append (records, "{}");
      return;
    }
  text = json_to_string (value, FALSE);
  g_string_append (records, text);
}
