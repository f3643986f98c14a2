/* coffer-metrics.c: a small thread-safe metrics registry.
 *
 * Values are integers; histogram observations are microseconds and are printed
 * as seconds with integer arithmetic, so no floating point is involved. */
#include "config.h"

#include "coffer-metrics.h"

typedef enum
{
  FAMILY_COUNTER,
  FAMILY_GAUGE,
  FAMILY_HISTOGRAM,
} FamilyKind;

typedef struct
{
  gint64  value;
  gint64 *bucket_counts; /* histograms: cumulative counts are computed on render */
  gint64  count;
  gint64  sum_usec;
} Series;

typedef struct
{
  char       *name;
  char       *help;
  FamilyKind  kind;
  GArray     *bounds_usec;
  GHashTable *series; /* label text → Series */
  GPtrArray  *order;  /* label texts in first-seen order, for stable output */
} Family;

typedef struct
{
  CofferMetricsCollector collector;
  gpointer               user_data;
} Collector;

struct _CofferMetrics
{
  GObject     parent_instance;
  GMutex      mutex;
  GHashTable *families; /* name → Family */
  GPtrArray  *family_order;
  GArray     *collectors;
};

G_DEFINE_FINAL_TYPE (CofferMetrics, coffer_metrics, G_TYPE_OBJECT)

static void
series_free (gpointer data)
{
  Series *series = data;

  g_free (series->bucket_counts);
  g_free (series);
}

static void
family_free (gpointer data)
{
  Family *family = data;

  g_free (family->name);
  g_free (family->help);
  g_clear_pointer (&family->bounds_usec, g_array_unref);
  g_hash_table_unref (family->series);
  g_ptr_array_unref (family->order);
  g_free (family);
}

static void
coffer_metrics_finalize (GObject *object)
{
  CofferMetrics *self = COFFER_METRICS (object);

  g_hash_table_unref (self->families);
  g_ptr_array_unref (self->family_order);
  g_array_unref (self->collectors);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (coffer_metrics_parent_class)->finalize (object);
}

static void
coffer_metrics_class_init (CofferMetricsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = coffer_metrics_finalize;
}

static void
coffer_metrics_init (CofferMetrics *self)
{
  g_mutex_init (&self->mutex);
  self->families = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, family_free);
  self->family_order = g_ptr_array_new ();
  self->collectors = g_array_new (FALSE, FALSE, sizeof (Collector));
}

CofferMetrics *
coffer_metrics_new (void)
{
  return g_object_new (COFFER_TYPE_METRICS, NULL);
}

static void
register_family (CofferMetrics *self,
                 const char    *name,
                 const char    *help,
                 FamilyKind     kind,
                 const gint64  *bounds_usec,
                 gsize          n_bounds)
{
  Family *family;

  g_mutex_lock (&self->mutex);
  if (g_hash_table_contains (self->families, name))
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  family = g_new0 (Family, 1);
  family->name = g_strdup (name);
  family->help = g_strdup (help);
  family->kind = kind;
  family->series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, series_free);
  family->order = g_ptr_array_new ();
  if (kind == FAMILY_HISTOGRAM)
    {
      family->bounds_usec = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n_bounds);
      g_array_append_vals (family->bounds_usec, bounds_usec, n_bounds);
    }
  g_hash_table_insert (self->families, family->name, family);
  g_ptr_array_add (self->family_order, family);
  g_mutex_unlock (&self->mutex);
}

void
coffer_metrics_register_counter (CofferMetrics *self,
                                 const char    *name,
                                 const char    *help)
{
  register_family (self, name, help, FAMILY_COUNTER, NULL, 0);
}

void
coffer_metrics_register_gauge (CofferMetrics *self,
                               const char    *name,
                               const char    *help)
{
  register_family (self, name, help, FAMILY_GAUGE, NULL, 0);
}

void
coffer_metrics_register_histogram (CofferMetrics *self,
                                   const char    *name,
                                   const char    *help,
                                   const gint64  *bounds_usec,
                                   gsize          n_bounds)
{
  register_family (self, name, help, FAMILY_HISTOGRAM, bounds_usec, n_bounds);
}

/* Called with the mutex held. */
static Series *
lookup_series (Family     *family,
               const char *labels)
{
  Series *series = g_hash_table_lookup (family->series, labels ? labels : "");

  if (series == NULL)
    {
      char *key = g_strdup (labels ? labels : "");

      series = g_new0 (Series, 1);
      if (family->kind == FAMILY_HISTOGRAM)
        series->bucket_counts = g_new0 (gint64, family->bounds_usec->len);
      g_hash_table_insert (family->series, key, series);
      g_ptr_array_add (family->order, key);
    }
  return series;
}

static Family *
lookup_family (CofferMetrics *self,
               const char    *name)
{
  Family *family = g_hash_table_lookup (self->families, name);

  if (family == NULL)
    g_critical ("Metric family %s was never registered", name);
  return family;
}

void
coffer_metrics_add (CofferMetrics *self,
                    const char    *name,
                    const char    *labels,
                    gint64         delta)
{
  Family *family;

  g_mutex_lock (&self->mutex);
  family = lookup_family (self, name);
  if (family)
    lookup_series (family, labels)->value += delta;
  g_mutex_unlock (&self->mutex);
}

void
coffer_metrics_set (CofferMetrics *self,
                    const char    *name,
                    const char    *labels,
                    gint64         value)
{
  Family *family;

  g_mutex_lock (&self->mutex);
  family = lookup_family (self, name);
  if (family)
    lookup_series (family, labels)->value = value;
  g_mutex_unlock (&self->mutex);
}

void
coffer_metrics_observe_usec (CofferMetrics *self,
                             const char    *name,
                             const char    *labels,
                             gint64         usec)
{
  Family *family;

  g_mutex_lock (&self->mutex);
  family = lookup_family (self, name);
  if (family && family->kind == FAMILY_HISTOGRAM)
    {
      Series *series = lookup_series (family, labels);

      for (guint i = 0; i < family->bounds_usec->len; i++)
        if (usec <= g_array_index (family->bounds_usec, gint64, i))
          {
            series->bucket_counts[i]++;
            break;
          }
      series->count++;
      series->sum_usec += usec;
    }
  g_mutex_unlock (&self->mutex);
}

void
coffer_metrics_add_collector (CofferMetrics          *self,
                              CofferMetricsCollector  collector,
                              gpointer                user_data)
{
  Collector entry = { collector, user_data };

  g_mutex_lock (&self->mutex);
  g_array_append_val (self->collectors, entry);
  g_mutex_unlock (&self->mutex);
}

char *
coffer_metrics_escape_label (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Seconds from microseconds, exactly, e.g. 2500 → "0.0025". */
static void
append_seconds (GString *out,
                gint64   usec)
{
  gint64 whole = usec / G_USEC_PER_SEC;
  gint64 frac = usec % G_USEC_PER_SEC;
  char digits[8];
  int len;

  if (usec < 0)
    {
      g_string_append_c (out, '-');
      whole = -whole;
      frac = -frac;
    }
  g_string_append_printf (out, "%" G_GINT64_FORMAT, whole);
  if (frac == 0)
    return;
  g_snprintf (digits, sizeof digits, "%06" G_GINT64_FORMAT, frac);
  len = 6;
  while (len > 0 && digits[len - 1] == '0')
    len--;
  digits[len] = '\0';
  g_string_append_printf (out, ".%s", digits);
}

static void
append_series_name (GString    *out,
                    const char *name,
                    const char *suffix,
                    const char *labels,
                    const char *extra_label)
{
  gboolean has_labels = labels && *labels;

  g_string_append_printf (out, "%s%s", name, suffix);
  if (!has_labels && !extra_label)
    return;
  g_string_append_c (out, '{');
  if (has_labels)
    g_string_append (out, labels);
  if (has_labels && extra_label)
    g_string_append_c (out, ',');
  if (extra_label)
    g_string_append (out, extra_label);
  g_string_append_c (out, '}');
}

static void
render_family (GString *out,
               Family  *family)
{
  static const char *type_names[] = { "counter", "gauge", "histogram" };

  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", family->name, family->help,
                          family->name, type_names[family->kind]);
  for (guint i = 0; i < family->order->len; i++)
    {
      const char *labels = g_ptr_array_index (family->order, i);
      Series *series = g_hash_table_lookup (family->series, labels);

      if (family->kind != FAMILY_HISTOGRAM)
        {
          append_series_name (out, family->name, "", labels, NULL);
          g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", series->value);
          continue;
        }

      gint64 cumulative = 0;
      for (guint b = 0; b < family->bounds_usec->len; b++)
        {
          g_autoptr (GString) le = g_string_new ("le=\"");

          cumulative += series->bucket_counts[b];
          append_seconds (le, g_array_index (family->bounds_usec, gint64, b));
          g_string_append_c (le, '"');
          append_series_name (out, family->name, "_bucket", labels, le->str);
          g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", cumulative);
        }
      append_series_name (out, family->name, "_bucket", labels, "le=\"+Inf\"");
      g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", series->count);
      append_series_name (out, family->name, "_sum", labels, NULL);
      g_string_append_c (out, ' ');
      append_seconds (out, series->sum_usec);
      g_string_append_c (out, '\n');
      append_series_name (out, family->name, "_count", labels, NULL);
      g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", series->count);
    }
}

char *
coffer_metrics_render (CofferMetrics *self)
{
  GString *out = g_string_new (NULL);
  g_autoptr (GArray) collectors = NULL;

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->family_order->len; i++)
    render_family (out, g_ptr_array_index (self->family_order, i));
  collectors = g_array_copy (self->collectors);
  g_mutex_unlock (&self->mutex);

  /* Collectors run unlocked: they may take locks of their own. */
  for (guint i = 0; i < collectors->len; i++)
    {
      Collector *entry = &g_array_index (collectors, Collector, i);

      entry->collector (out, entry->user_data);
    }
  return g_string_free (out, FALSE);
}
