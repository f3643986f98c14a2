/* coffer-clock.c: the CofferClock interface; every "now" in Coffer goes through it. */
#include "coffer-clock.h"

/*
 * Code never calls g_get_real_time() or g_date_time_new_now_utc() directly:
 * it asks a CofferClock, so that tests and the demo can move time with
 * CofferManualClock and see renewals, grace expiry and retries happen.
 * Implementations must be callable from any thread.
 */

G_DEFINE_INTERFACE (CofferClock, coffer_clock, G_TYPE_OBJECT)

static void
coffer_clock_default_init (CofferClockInterface *iface)
{
}

/**
 * coffer_clock_now_usec:
 * @self: a #CofferClock
 *
 * Returns: the current time as UTC microseconds since the Unix epoch
 */
gint64
coffer_clock_now_usec (CofferClock *self)
{
  CofferClockInterface *iface;

  g_return_val_if_fail (COFFER_IS_CLOCK (self), 0);

  iface = COFFER_CLOCK_GET_IFACE (self);
  g_return_val_if_fail (iface->now_usec != NULL, 0);

  return iface->now_usec (self);
}

/**
 * coffer_clock_now:
 * @self: a #CofferClock
 *
 * Returns: (transfer full) (nullable): the current time as a UTC #GDateTime,
 *   with microsecond precision; %NULL only if a manual clock was set beyond
 *   what #GDateTime holds (years 1 to 9999)
 */
GDateTime *
coffer_clock_now (CofferClock *self)
{
  g_autoptr(GDateTime) epoch = NULL;
  gint64 usec;

  g_return_val_if_fail (COFFER_IS_CLOCK (self), NULL);

  usec = coffer_clock_now_usec (self);

  /* g_date_time_new_from_unix_utc() drops the microseconds; adding them to
   * the epoch keeps them, and works for times before 1970 too. */
  epoch = g_date_time_new_utc (1970, 1, 1, 0, 0, 0);
  return g_date_time_add (epoch, usec);
}
