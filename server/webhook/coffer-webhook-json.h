/* coffer-webhook-json.h: reading members of Stripe objects, strict about types.
 *
 * Every getter treats an absent member and a JSON null alike (NULL / FALSE):
 * Stripe leaves out or nulls what does not apply. A member of the wrong type is
 * a malformed event: the getter sets @error (COFFER_WEBHOOK_ERROR_MALFORMED,
 * naming the member and its value) and returns NULL / FALSE. The error is set
 * only if it is not set yet, so a reader can make many calls and check @error
 * once at the end; the first problem found is the one reported. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

const char *coffer_webhook_json_get_string       (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);
gboolean    coffer_webhook_json_get_int          (JsonObject  *object,
                                                  const char  *member,
                                                  gint64      *out_value,
                                                  GError     **error);
gboolean    coffer_webhook_json_get_boolean      (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);
JsonObject *coffer_webhook_json_get_object       (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);
JsonObject *coffer_webhook_json_get_path         (JsonObject  *object,
                                                  const char  *path,
                                                  GError     **error);
const char *coffer_webhook_json_get_id           (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);
JsonArray  *coffer_webhook_json_get_list         (JsonObject  *object,
                                                  const char  *member,
                                                  gboolean    *out_has_more,
                                                  GError     **error);
JsonObject *coffer_webhook_json_get_element      (JsonArray   *array,
                                                  const char  *list_name,
                                                  guint        index,
                                                  GError     **error);
char       *coffer_webhook_json_get_currency     (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);
char       *coffer_webhook_json_get_metadata     (JsonObject  *object,
                                                  GError     **error);

const char *coffer_webhook_json_require_string   (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);
gint64      coffer_webhook_json_require_int      (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);
char       *coffer_webhook_json_require_currency (JsonObject  *object,
                                                  const char  *member,
                                                  GError     **error);

/* Writing the records handlers pass as jsonb parameters ("[{…},{…}]"): a
 * member whose value is NULL is left out, which jsonb_to_recordset() reads
 * as SQL NULL. */
GString    *coffer_webhook_records_new           (void);
char       *coffer_webhook_records_free          (GString     *records);
void        coffer_webhook_records_add_string    (GString     *records,
                                                  const char  *value);
void        coffer_webhook_record_begin          (GString     *records);
void        coffer_webhook_record_end            (GString     *records);
void        coffer_webhook_record_add_string     (GString     *records,
                                                  const char  *member,
                                                  const char  *value);
void        coffer_webhook_record_add_int        (GString     *records,
                                                  const char  *member,
                                                  gint64       value);
void        coffer_webhook_record_add_boolean    (GString     *records,
                                                  const char  *member,
                                                  gboolean     value);
void        coffer_webhook_record_add_json       (GString     *records,
                                                  const char  *member,
                                                  JsonNode    *value);

G_END_DECLS
