/* coffer-manual-clock.c: CofferManualClock, time that only moves when a test or the demo says. */
#include "coffer-manual-clock.h"

/*
 * Worker threads read the clock while a test moves it, and several threads
 * may advance it at once, so the value lives behind a lock (GLib 2.74 has
 * no 64-bit atomics). A GRWLock rather than a GMutex: readers far outnumber
 * writers, and it is built on pthreads, which ThreadSanitizer understands
 * (GMutex's futex implementation shows up as false data races).
 *
 * The "changed" signal and the notify of "now-usec" are emitted in the
 * thread that moved the clock, after the lock is released, so handlers may
 * read the clock again. A scheduler in another thread should
 * hop to its own GMainContext from its handler (g_main_context_invoke) to
 * re-arm its timers.
 */

struct _CofferManualClock
{
  GObject parent_instance;

  GRWLock lock;
  gint64  now_usec;     /* guarded by lock */
};

static void coffer_manual_clock_clock_iface_init (CofferClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CofferManualClock, coffer_manual_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (COFFER_TYPE_CLOCK,
                                                      coffer_manual_clock_clock_iface_init))

enum { PROP_0, PROP_NOW_USEC, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gint64
coffer_manual_clock_now_usec (CofferClock *clock)
{
  CofferManualClock *self = COFFER_MANUAL_CLOCK (clock);
  gint64 now_usec;

  g_rw_lock_reader_lock (&self->lock);
  now_usec = self->now_usec;
  g_rw_lock_reader_unlock (&self->lock);

  return now_usec;
}

static void
coffer_manual_clock_clock_iface_init (CofferClockInterface *iface)
{
  iface->now_usec = coffer_manual_clock_now_usec;
}

static void
coffer_manual_clock_emit_moved (CofferManualClock *self,
                                gint64             now_usec)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOW_USEC]);
  g_signal_emit (self, signals[CHANGED], 0, now_usec);
}

static void
coffer_manual_clock_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CofferManualClock *self = COFFER_MANUAL_CLOCK (object);

  switch (prop_id)
    {
    case PROP_NOW_USEC:
      g_value_set_int64 (value, coffer_manual_clock_now_usec (COFFER_CLOCK (self)));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
coffer_manual_clock_finalize (GObject *object)
{
  CofferManualClock *self = COFFER_MANUAL_CLOCK (object);

  g_rw_lock_clear (&self->lock);

  G_OBJECT_CLASS (coffer_manual_clock_parent_class)->finalize (object);
}

static void
coffer_manual_clock_class_init (CofferManualClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = coffer_manual_clock_get_property;
  object_class->finalize = coffer_manual_clock_finalize;

  /**
   * CofferManualClock:now-usec:
   *
   * The clock's current time, UTC microseconds since the Unix epoch.
   * Notified (in the moving thread) whenever the clock moves.
   */
  properties[PROP_NOW_USEC] =
    g_param_spec_int64 ("now-usec", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        (G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CofferManualClock::changed:
   * @self: the clock
   * @now_usec: the new time, UTC microseconds since the Unix epoch
   *
   * Emitted in the moving thread whenever the clock moves, so that
   * schedulers can re-arm their timers.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
coffer_manual_clock_init (CofferManualClock *self)
{
  g_rw_lock_init (&self->lock);
}

/**
 * coffer_manual_clock_new:
 * @start_usec: the initial time, UTC microseconds since the Unix epoch
 *
 * Returns: (transfer full): a clock that stands still until moved
 */
CofferManualClock *
coffer_manual_clock_new (gint64 start_usec)
{
  CofferManualClock *self = g_object_new (COFFER_TYPE_MANUAL_CLOCK, NULL);

  self->now_usec = start_usec;

  return self;
}

/**
 * coffer_manual_clock_set_usec:
 * @self: a #CofferManualClock
 * @usec: the new time, UTC microseconds since the Unix epoch
 *
 * Sets the clock to @usec. Unlike coffer_manual_clock_advance(), this may
 * move the clock backwards (a test may start a new scenario). Emits
 * #CofferManualClock::changed and notifies #CofferManualClock:now-usec when
 * the time differs from the current one.
 */
void
coffer_manual_clock_set_usec (CofferManualClock *self,
                              gint64             usec)
{
  gboolean moved;

  g_return_if_fail (COFFER_IS_MANUAL_CLOCK (self));

  g_rw_lock_writer_lock (&self->lock);
  moved = self->now_usec != usec;
  self->now_usec = usec;
  g_rw_lock_writer_unlock (&self->lock);

  if (moved)
    coffer_manual_clock_emit_moved (self, usec);
}

/**
 * coffer_manual_clock_advance:
 * @self: a #CofferManualClock
 * @delta_usec: how far to move forward, in microseconds; not negative
 *
 * Moves the clock forward by @delta_usec. Safe to call from several threads
 * at once: every advance counts. Emits #CofferManualClock::changed and
 * notifies #CofferManualClock:now-usec when @delta_usec is positive.
 */
void
coffer_manual_clock_advance (CofferManualClock *self,
                             gint64             delta_usec)
{
  gboolean overflows;
  gint64 now_usec = 0;

  g_return_if_fail (COFFER_IS_MANUAL_CLOCK (self));
  g_return_if_fail (delta_usec >= 0);

  if (delta_usec == 0)
    return;

  g_rw_lock_writer_lock (&self->lock);
  overflows = self->now_usec > G_MAXINT64 - delta_usec;
  if (!overflows)
    now_usec = self->now_usec += delta_usec;
  g_rw_lock_writer_unlock (&self->lock);

  /* Checked outside the lock so that a fatal critical does not leave it held. */
  g_return_if_fail (!overflows);

  coffer_manual_clock_emit_moved (self, now_usec);
}
