/* coffer-clock.h: CofferClock, the one injectable source of "now" (UTC) for all of Coffer. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define COFFER_TYPE_CLOCK (coffer_clock_get_type ())
G_DECLARE_INTERFACE (CofferClock, coffer_clock, COFFER, CLOCK, GObject)

/**
 * CofferClockInterface:
 * @now_usec: returns the current time as UTC microseconds since the Unix epoch.
 *   Must be safe to call from any thread.
 */
struct _CofferClockInterface
{
  GTypeInterface parent_iface;

  gint64 (*now_usec) (CofferClock *self);
};

gint64     coffer_clock_now_usec (CofferClock *self);
GDateTime *coffer_clock_now      (CofferClock *self);

G_END_DECLS
