/* coffer-inbox.c: the durable inbox, written with group commit.
 *
 * Each webhook request hands its verified body to a writer thread and waits.
 * A writer takes every body queued at that moment (up to a batch), inserts
 * them in ONE transaction and answers all of them only after COMMIT returns.
 * Under many concurrent senders one fsync then carries many events, and an
 * acknowledgement is never sent for a row that is not committed. If the
 * commit fails, every request in the batch is told to answer 503, so Stripe
 * sends them again; the primary key makes the retry harmless. */
#include "config.h"

#include "coffer-inbox.h"
#include "db/coffer-db-pool.h"
#include "webhook/coffer-event-envelope.h"

#include <string.h>

#define MAX_BATCH 256
/* Stripe's events nest a dozen levels; deeper bodies are refused. */
#define MAX_DEPTH 64

typedef struct
{
  GBytes  *body;
  GTask   *task;
  /* Filled by the writer before the insert. */
  char    *id;
  char    *type;
  char    *api_version;
  gboolean livemode;
  gint64   created;
} Item;

typedef struct
{
  CofferInbox *inbox;
  GThread     *thread;
  guint        index;
} Writer;

struct _CofferInbox
{
  GObject          parent_instance;

  char            *conninfo;
  char            *password;
  CofferInboxMode  mode;
  GAsyncQueue     *queue;
  GPtrArray       *writers;
  gboolean         closed;
};

G_DEFINE_FINAL_TYPE (CofferInbox, coffer_inbox, G_TYPE_OBJECT)
G_DEFINE_QUARK (coffer-inbox-error-quark, coffer_inbox_error)

static Item stop_item;
static char store_source_tag;

static const char insert_sql[] =
  "INSERT INTO stripe_event_inbox (id, type, api_version, livemode, stripe_created, payload) "
  "VALUES ($1, $2, $3, $4, to_timestamp ($5), $6::jsonb) "
  "ON CONFLICT (id) DO NOTHING";

void
coffer_inbox_receipt_free (CofferInboxReceipt *receipt)
{
  g_free (receipt->event_id);
  g_free (receipt->event_type);
  g_free (receipt);
}

static void
item_free (Item *item)
{
  g_clear_pointer (&item->body, g_bytes_unref);
  g_clear_object (&item->task);
  g_free (item->id);
  g_free (item->type);
  g_free (item->api_version);
  g_free (item);
}

CofferInboxMode
coffer_inbox_mode_for_key (const char *secret_key)
{
  if (secret_key == NULL)
    return COFFER_INBOX_MODE_ANY;
  if (g_str_has_prefix (secret_key, "sk_live_") || g_str_has_prefix (secret_key, "rk_live_"))
    return COFFER_INBOX_MODE_LIVE;
  if (g_str_has_prefix (secret_key, "sk_test_") || g_str_has_prefix (secret_key, "rk_test_"))
    return COFFER_INBOX_MODE_TEST;
  return COFFER_INBOX_MODE_ANY;
}

static gboolean
id_is_plausible (const char *id)
{
  gsize length = 0;

  if (!g_str_has_prefix (id, "evt_"))
    return FALSE;
  for (const char *p = id + 4; *p; p++, length++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return length > 0 && length <= 255;
}

/* Reads only what the inbox needs: id, type, created, api_version, livemode,
 * checking on the way that the whole body is valid JSON. */
static gboolean
item_parse (Item             *item,
            CofferInboxMode   mode,
            GError          **error)
{
  gsize length;
  const char *data = g_bytes_get_data (item->body, &length);
  CofferEventEnvelope envelope;
  g_autofree char *problem = NULL;

  if (length == 0 || !g_utf8_validate (data, length, NULL))
    {
      g_set_error (error, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_NOT_JSON,
                   "The body is not UTF-8 JSON");
      return FALSE;
    }
  if (!coffer_event_envelope_parse (data, length, MAX_DEPTH, &envelope, &problem))
    {
      g_set_error (error, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_NOT_JSON, "%s", problem);
      return FALSE;
    }

#define REQUIRE(cond, member, what)                                                   \
  if (!(cond))                                                                        \
    {                                                                                 \
      g_set_error (error, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_NOT_AN_EVENT,        \
                   "The event has no valid “%s”: expected %s", member, what);         \
      coffer_event_envelope_clear (&envelope);                                        \
      return FALSE;                                                                   \
    }

  REQUIRE (envelope.id && id_is_plausible (envelope.id), "id", "a string such as evt_1Nx…");
  REQUIRE (envelope.type && strlen (envelope.type) > 0 && strlen (envelope.type) < 128 &&
           g_utf8_validate (envelope.type, -1, NULL),
           "type", "a string such as invoice.paid");
  REQUIRE (envelope.has_created && envelope.created > 0 &&
           envelope.created < G_GINT64_CONSTANT (253402300799),
           "created", "a Unix time in seconds");
  REQUIRE (envelope.livemode >= 0, "livemode", "true or false");
#undef REQUIRE

  item->id = g_steal_pointer (&envelope.id);
  item->type = g_steal_pointer (&envelope.type);
  item->api_version = g_steal_pointer (&envelope.api_version);
  item->created = envelope.created;
  item->livemode = envelope.livemode == 1;
  coffer_event_envelope_clear (&envelope);

  if ((mode == COFFER_INBOX_MODE_LIVE && !item->livemode) ||
      (mode == COFFER_INBOX_MODE_TEST && item->livemode))
    {
      g_set_error (error, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_LIVEMODE_MISMATCH,
                   "A %s event reached a server configured with a %s key",
                   item->livemode ? "live-mode" : "test-mode",
                   mode == COFFER_INBOX_MODE_LIVE ? "live" : "test");
      return FALSE;
    }
  return TRUE;
}

static PGconn *
writer_connect (CofferInbox *self,
                guint        index,
                GError     **error)
{
  g_autofree char *name = g_strdup_printf ("coffer-server inbox %u", index);

  return coffer_db_connect (self->conninfo, self->password, 10000, 5, name, error);
}

static gboolean
ensure_prepared (PGconn      *conn,
                 GHashTable  *prepared,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;

  if (g_hash_table_contains (prepared, "inbox_insert"))
    return TRUE;
  result = PQprepare (conn, "inbox_insert", insert_sql, 0, NULL);
  if (!coffer_db_check_result (conn, result, "Could not prepare the inbox insert", error))
    return FALSE;
  g_hash_table_add (prepared, g_strdup ("inbox_insert"));
  return TRUE;
}

/* Reads the next result of a pipelined statement and the NULL that ends it. */
static PGresult *
next_result (PGconn *conn)
{
  PGresult *result = PQgetResult (conn);

  if (result && PQresultStatus (result) != PGRES_PIPELINE_SYNC)
    {
      PGresult *end;

      /* Each statement's results end with a NULL; anything else is unexpected. */
      while ((end = PQgetResult (conn)) != NULL)
        PQclear (end);
    }
  return result;
}

/* One transaction for the whole batch, sent in libpq's pipeline mode: BEGIN,
 * every insert and COMMIT go out together and come back together, one round
 * trip and one WAL flush for the batch. Returns FALSE if nothing is known to
 * be committed; the caller then answers every item with an error. */
static gboolean
insert_batch (PGconn      *conn,
              GHashTable  *prepared,
              GPtrArray   *items,
              GError     **error)
{
  g_autoptr (GPtrArray) payloads = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) failure = NULL;
  gboolean sent = TRUE;

  if (!ensure_prepared (conn, prepared, error))
    return FALSE;
  for (guint i = 0; i < items->len; i++)
    g_object_set_data (G_OBJECT (((Item *) g_ptr_array_index (items, i))->task),
                       "coffer-duplicate", NULL);
  if (!PQenterPipelineMode (conn))
    {
      coffer_db_set_error_from_result (error, conn, NULL, "Could not enter pipeline mode");
      return FALSE;
    }

  sent = PQsendQueryParams (conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) == 1;
  for (guint i = 0; sent && i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);
      g_autofree char *created = g_strdup_printf ("%" G_GINT64_FORMAT, item->created);
      gsize length;
      const char *data = g_bytes_get_data (item->body, &length);
      char *payload = g_strndup (data, length);
      const char *values[6] = { item->id, item->type, item->api_version,
                                item->livemode ? "t" : "f", created, payload };

      g_ptr_array_add (payloads, payload);
      sent = PQsendQueryPrepared (conn, "inbox_insert", 6, values, NULL, NULL, 0) == 1;
    }
  sent = sent && PQsendQueryParams (conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1;
  sent = sent && PQpipelineSync (conn) == 1;
  if (!sent)
    {
      coffer_db_set_error_from_result (error, conn, NULL, "Could not send the inbox batch");
      PQexitPipelineMode (conn);
      return FALSE;
    }

  /* BEGIN, one result per insert, COMMIT, then the sync point. */
  for (guint i = 0; i < items->len + 3; i++)
    {
      g_autoptr (PGresult) result = next_result (conn);
      ExecStatusType status = result ? PQresultStatus (result) : PGRES_FATAL_ERROR;

      if (result == NULL)
        {
          coffer_db_set_error_from_result (&failure, conn, NULL, "The inbox batch was cut short");
          break;
        }
      if (status == PGRES_PIPELINE_SYNC)
        break;
      if (status == PGRES_PIPELINE_ABORTED)
        continue;
      if (status != PGRES_COMMAND_OK)
        {
          if (failure == NULL)
            coffer_db_set_error_from_result (&failure, conn, result, "Could not store the batch");
          continue;
        }
      /* ON CONFLICT DO NOTHING inserts no row for an id already stored. */
      if (i >= 1 && i <= items->len && strcmp (PQcmdTuples (result), "0") == 0)
        {
          Item *item = g_ptr_array_index (items, i - 1);

          g_object_set_data (G_OBJECT (item->task), "coffer-duplicate", GINT_TO_POINTER (1));
        }
    }
  PQexitPipelineMode (conn);

  if (failure)
    {
      /* An error inside the transaction left it aborted: end it. */
      if (PQstatus (conn) == CONNECTION_OK && PQtransactionStatus (conn) != PQTRANS_IDLE)
        PQclear (PQexec (conn, "ROLLBACK"));
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
  return TRUE;
}

static void answer_item (Item   *item,
                         GError *error);

/* One event in its own transaction; its own answer. */
static void
insert_alone (PGconn     *conn,
              GHashTable *prepared,
              Item       *item)
{
  g_autoptr (GPtrArray) one = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) answer = NULL;

  g_ptr_array_add (one, item);
  if (insert_batch (conn, prepared, one, &error))
    {
      answer_item (item, NULL);
      return;
    }
  if (g_error_matches (error, COFFER_DB_ERROR, COFFER_DB_ERROR_UNAVAILABLE) ||
      PQstatus (conn) != CONNECTION_OK)
    answer = g_error_new (COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_UNAVAILABLE,
                          "The event could not be stored: %s", error->message);
  else
    answer = g_error_new (COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_NOT_AN_EVENT,
                          "The database refused the event: %s", error->message);
  answer_item (item, answer);
}

static void
answer_item (Item   *item,
             GError *error)
{
  CofferInboxReceipt *receipt;

  if (error)
    {
      g_task_return_error (item->task, g_error_copy (error));
      return;
    }
  receipt = g_new0 (CofferInboxReceipt, 1);
  receipt->event_id = g_strdup (item->id);
  receipt->event_type = g_strdup (item->type);
  receipt->duplicate = g_object_get_data (G_OBJECT (item->task), "coffer-duplicate") != NULL;
  g_task_return_pointer (item->task, receipt, (GDestroyNotify) coffer_inbox_receipt_free);
}

static void
drop_connection (PGconn     **conn,
                 GHashTable  *prepared)
{
  g_clear_pointer (conn, PQfinish);
  g_hash_table_remove_all (prepared);
}

/* Nothing of the batch is known to be committed: every request answers 503
 * and Stripe delivers again. */
static void
answer_all_unavailable (GPtrArray    *batch,
                        const GError *error)
{
  g_autoptr (GError) unavailable = NULL;

  g_warning ("Could not store %u webhook event%s: %s", batch->len, batch->len == 1 ? "" : "s",
             error->message);
  unavailable = g_error_new (COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_UNAVAILABLE,
                             "The event could not be stored: %s", error->message);
  for (guint i = 0; i < batch->len; i++)
    answer_item (g_ptr_array_index (batch, i), unavailable);
}

static gpointer
writer_main (gpointer data)
{
  Writer *writer = data;
  CofferInbox *self = writer->inbox;
  g_autoptr (GHashTable) prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  PGconn *conn = NULL;
  gboolean stopping = FALSE;

  while (!stopping)
    {
      g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
      g_autoptr (GError) error = NULL;
      Item *item = g_async_queue_pop (self->queue);

      /* Take whatever else is already waiting: that is the group. */
      while (item != NULL)
        {
          if (item == &stop_item)
            {
              stopping = TRUE;
              break;
            }
          {
            g_autoptr (GError) invalid = NULL;

            if (item_parse (item, self->mode, &invalid))
              g_ptr_array_add (batch, item);
            else
              {
                g_task_return_error (item->task, g_steal_pointer (&invalid));
                item_free (item);
              }
          }
          item = batch->len < MAX_BATCH ? g_async_queue_try_pop (self->queue) : NULL;
        }
      if (batch->len == 0)
        continue;

      if (conn && PQstatus (conn) != CONNECTION_OK)
        drop_connection (&conn, prepared);
      if (conn == NULL)
        conn = writer_connect (self, writer->index, &error);

      if (conn == NULL)
        answer_all_unavailable (batch, error);
      else if (batch->len == 1)
        insert_alone (conn, prepared, g_ptr_array_index (batch, 0));
      else if (insert_batch (conn, prepared, batch, &error))
        {
          for (guint i = 0; i < batch->len; i++)
            answer_item (g_ptr_array_index (batch, i), NULL);
        }
      else if (PQstatus (conn) == CONNECTION_OK &&
               !g_error_matches (error, COFFER_DB_ERROR, COFFER_DB_ERROR_UNAVAILABLE))
        {
          /* A statement error may be one bad event: each goes alone, so
           * only that one is refused. */
          for (guint i = 0; i < batch->len; i++)
            insert_alone (conn, prepared, g_ptr_array_index (batch, i));
        }
      else
        answer_all_unavailable (batch, error);

      if (conn && PQstatus (conn) != CONNECTION_OK)
        drop_connection (&conn, prepared);
    }

  if (conn)
    PQfinish (conn);
  return NULL;
}

static void
coffer_inbox_finalize (GObject *object)
{
  CofferInbox *self = COFFER_INBOX (object);

  coffer_inbox_close (self);
  g_ptr_array_unref (self->writers);
  g_async_queue_unref (self->queue);
  g_free (self->conninfo);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);

  G_OBJECT_CLASS (coffer_inbox_parent_class)->finalize (object);
}

static void
coffer_inbox_class_init (CofferInboxClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = coffer_inbox_finalize;
}

static void
coffer_inbox_init (CofferInbox *self)
{
  self->queue = g_async_queue_new ();
  self->writers = g_ptr_array_new_with_free_func (g_free);
}

CofferInbox *
coffer_inbox_new (const char      *conninfo,
                  const char      *password,
                  guint            n_writers,
                  CofferInboxMode  mode)
{
  CofferInbox *self = g_object_new (COFFER_TYPE_INBOX, NULL);

  self->conninfo = g_strdup (conninfo);
  self->password = g_strdup (password);
  self->mode = mode;
  for (guint i = 0; i < MAX (n_writers, 1); i++)
    {
      Writer *writer = g_new0 (Writer, 1);
      g_autofree char *name = g_strdup_printf ("inbox-%u", i);

      writer->inbox = self;
      writer->index = i;
      writer->thread = g_thread_new (name, writer_main, writer);
      g_ptr_array_add (self->writers, writer);
    }
  return self;
}

/* Stores @body (a verified webhook request body). The callback runs on the
 * caller's main context once the row is committed, or with an error. */
void
coffer_inbox_store_async (CofferInbox         *self,
                          GBytes              *body,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Item *item = g_new0 (Item, 1);

  item->body = g_bytes_ref (body);
  /* No cancellable: a client that hangs up still gets its event stored. */
  item->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (item->task, &store_source_tag);
  if (self->closed)
    {
      g_task_return_new_error (item->task, COFFER_INBOX_ERROR, COFFER_INBOX_ERROR_UNAVAILABLE,
                               "The server is shutting down");
      item_free (item);
      return;
    }
  g_async_queue_push (self->queue, item);
}

CofferInboxReceipt *
coffer_inbox_store_finish (CofferInbox  *self,
                           GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Stores what is queued, then stops the writers. */
void
coffer_inbox_close (CofferInbox *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  for (guint i = 0; i < self->writers->len; i++)
    g_async_queue_push (self->queue, &stop_item);
  for (guint i = 0; i < self->writers->len; i++)
    {
      Writer *writer = g_ptr_array_index (self->writers, i);

      g_thread_join (writer->thread);
    }
}
