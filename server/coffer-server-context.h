/* coffer-server-context.h: what route handlers of a running server share. */
#pragma once

#include "coffer-clock.h"
#include "coffer-config.h"
#include "db/coffer-db-pool.h"
#include "db/coffer-migrator.h"
#include "metrics/coffer-metrics.h"

G_BEGIN_DECLS

typedef struct
{
  CofferConfig   *config;
  CofferClock    *clock;
  CofferDbPool   *pool;
  CofferMetrics  *metrics;
  CofferMigrator *migrator;
  gint64          started_usec;
} CofferServerContext;

G_END_DECLS
