/* coffer-system-clock.c: CofferSystemClock reads the wall clock with g_get_real_time(). */
#include "coffer-system-clock.h"

struct _CofferSystemClock
{
  GObject parent_instance;
};

static void coffer_system_clock_clock_iface_init (CofferClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CofferSystemClock, coffer_system_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (COFFER_TYPE_CLOCK,
                                                      coffer_system_clock_clock_iface_init))

static gint64
coffer_system_clock_now_usec (CofferClock *clock)
{
  return g_get_real_time ();
}

static void
coffer_system_clock_clock_iface_init (CofferClockInterface *iface)
{
  iface->now_usec = coffer_system_clock_now_usec;
}

static void
coffer_system_clock_class_init (CofferSystemClockClass *klass)
{
}

static void
coffer_system_clock_init (CofferSystemClock *self)
{
}

/**
 * coffer_system_clock_new:
 *
 * Returns: (transfer full): a clock that reads the system's wall clock
 */
CofferClock *
coffer_system_clock_new (void)
{
  return g_object_new (COFFER_TYPE_SYSTEM_CLOCK, NULL);
}
