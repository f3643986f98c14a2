/* coffer-metrics.h: counters, gauges and histograms in Prometheus text exposition. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define COFFER_TYPE_METRICS (coffer_metrics_get_type ())
G_DECLARE_FINAL_TYPE (CofferMetrics, coffer_metrics, COFFER, METRICS, GObject)

/* Called while rendering, to append families whose values live elsewhere
 * (pool gauges, build info). Append complete "# HELP/# TYPE" blocks. */
typedef void (*CofferMetricsCollector) (GString  *out,
                                        gpointer  user_data);

CofferMetrics *coffer_metrics_new                (void);
void           coffer_metrics_register_counter   (CofferMetrics          *self,
                                                  const char             *name,
                                                  const char             *help);
void           coffer_metrics_register_gauge     (CofferMetrics          *self,
                                                  const char             *name,
                                                  const char             *help);
void           coffer_metrics_register_histogram (CofferMetrics          *self,
                                                  const char             *name,
                                                  const char             *help,
                                                  const gint64           *bounds_usec,
                                                  gsize                   n_bounds);
void           coffer_metrics_add                (CofferMetrics          *self,
                                                  const char             *name,
                                                  const char             *labels,
                                                  gint64                  delta);
void           coffer_metrics_set                (CofferMetrics          *self,
                                                  const char             *name,
                                                  const char             *labels,
                                                  gint64                  value);
void           coffer_metrics_observe_usec       (CofferMetrics          *self,
                                                  const char             *name,
                                                  const char             *labels,
                                                  gint64                  usec);
void           coffer_metrics_add_collector      (CofferMetrics          *self,
                                                  CofferMetricsCollector  collector,
                                                  gpointer                user_data);
char          *coffer_metrics_render             (CofferMetrics          *self);
char          *coffer_metrics_escape_label       (const char             *value);

G_END_DECLS
