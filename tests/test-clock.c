/* test-clock.c: CofferClock, the system clock and the manual clock that tests move. */
#include "coffer-clock.h"
#include "coffer-manual-clock.h"
#include "coffer-system-clock.h"

/* 2026-03-01T12:34:56.789012Z */
#define SOME_TIME_USEC G_GINT64_CONSTANT (1772368496789012)

static void
test_interface_now_is_utc_with_microseconds (void)
{
  g_autoptr(CofferManualClock) manual = coffer_manual_clock_new (SOME_TIME_USEC);
  CofferClock *clock = COFFER_CLOCK (manual);
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *iso = NULL;

  g_assert_true (COFFER_IS_CLOCK (manual));
  g_assert_cmpint (coffer_clock_now_usec (clock), ==, SOME_TIME_USEC);

  now = coffer_clock_now (clock);
  g_assert_nonnull (now);
  g_assert_cmpint (g_date_time_get_utc_offset (now), ==, 0);
  g_assert_cmpint (g_date_time_to_unix (now), ==, SOME_TIME_USEC / G_USEC_PER_SEC);
  g_assert_cmpint (g_date_time_get_microsecond (now), ==, 789012);

  iso = g_date_time_format_iso8601 (now);
  g_assert_cmpstr (iso, ==, "2026-03-01T12:34:56.789012Z");

  g_assert_finalize_object (g_steal_pointer (&manual));
}

static void
test_interface_now_handles_times_before_the_epoch (void)
{
  g_autoptr(CofferManualClock) manual = coffer_manual_clock_new (-1500000);
  g_autoptr(GDateTime) now = coffer_clock_now (COFFER_CLOCK (manual));
  g_autofree char *iso = g_date_time_format_iso8601 (now);

  g_assert_cmpstr (iso, ==, "1969-12-31T23:59:58.500000Z");

  g_assert_finalize_object (g_steal_pointer (&manual));
}

static void
test_system_follows_real_time (void)
{
  g_autoptr(CofferClock) clock = coffer_system_clock_new ();
  gint64 before, during, after;

  g_assert_true (COFFER_IS_SYSTEM_CLOCK (clock));
  g_assert_true (COFFER_IS_CLOCK (clock));

  before = g_get_real_time ();
  during = coffer_clock_now_usec (clock);
  after = g_get_real_time ();

  g_assert_cmpint (before, <=, during);
  g_assert_cmpint (during, <=, after);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

static void
test_system_now_is_utc_and_current (void)
{
  g_autoptr(CofferClock) clock = coffer_system_clock_new ();
  g_autoptr(GDateTime) now = NULL;
  gint64 before, after;

  before = g_get_real_time () / G_USEC_PER_SEC;
  now = coffer_clock_now (clock);
  after = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_cmpint (g_date_time_get_utc_offset (now), ==, 0);
  g_assert_cmpint (g_date_time_to_unix (now), >=, before);
  g_assert_cmpint (g_date_time_to_unix (now), <=, after);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

static void
test_manual_stands_still_until_moved (void)
{
  g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (SOME_TIME_USEC);
  gint64 value = 0;

  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==, SOME_TIME_USEC);
  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==, SOME_TIME_USEC);

  g_object_get (clock, "now-usec", &value, NULL);
  g_assert_cmpint (value, ==, SOME_TIME_USEC);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

static void
test_manual_set_moves_to_any_time (void)
{
  g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (SOME_TIME_USEC);
  gint64 value = 0;

  coffer_manual_clock_set_usec (clock, SOME_TIME_USEC + 42);
  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==, SOME_TIME_USEC + 42);

  /* A test may start a new scenario in the past. */
  coffer_manual_clock_set_usec (clock, 0);
  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==, 0);

  g_object_get (clock, "now-usec", &value, NULL);
  g_assert_cmpint (value, ==, 0);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

static void
test_manual_advance_adds_delta (void)
{
  g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (SOME_TIME_USEC);

  coffer_manual_clock_advance (clock, G_USEC_PER_SEC);
  coffer_manual_clock_advance (clock, 30 * G_TIME_SPAN_DAY);
  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==,
                   SOME_TIME_USEC + G_USEC_PER_SEC + 30 * G_TIME_SPAN_DAY);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

/* A critical is fatal under G_DEBUG=fatal-warnings, so these run in a subprocess. */
static void
test_manual_advance_refuses_negative_delta (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (SOME_TIME_USEC);

      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
      coffer_manual_clock_advance (clock, -1);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*delta_usec >= 0*");
}

static void
on_changed_record (CofferManualClock *clock,
                   gint64             now_usec,
                   GArray            *seen)
{
  /* Handlers may read the clock again: the lock is not held. */
  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==, now_usec);
  g_array_append_val (seen, now_usec);
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  g_assert_cmpstr (g_param_spec_get_name (pspec), ==, "now-usec");
  (*count)++;
}

static void
test_manual_changed_signal_carries_new_time (void)
{
  g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (1000);
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_signal_connect (clock, "changed", G_CALLBACK (on_changed_record), seen);

  coffer_manual_clock_advance (clock, 500);
  coffer_manual_clock_set_usec (clock, 9000);
  coffer_manual_clock_set_usec (clock, 10);

  g_assert_cmpuint (seen->len, ==, 3);
  g_assert_cmpint (g_array_index (seen, gint64, 0), ==, 1500);
  g_assert_cmpint (g_array_index (seen, gint64, 1), ==, 9000);
  g_assert_cmpint (g_array_index (seen, gint64, 2), ==, 10);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

static void
test_manual_notifies_now_usec (void)
{
  g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (1000);
  guint count = 0;

  g_signal_connect (clock, "notify::now-usec", G_CALLBACK (on_notify_count), &count);

  coffer_manual_clock_advance (clock, 1);
  g_assert_cmpuint (count, ==, 1);
  coffer_manual_clock_set_usec (clock, 5);
  g_assert_cmpuint (count, ==, 2);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

static void
test_manual_standing_still_emits_nothing (void)
{
  g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (1000);
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint count = 0;

  g_signal_connect (clock, "changed", G_CALLBACK (on_changed_record), seen);
  g_signal_connect (clock, "notify::now-usec", G_CALLBACK (on_notify_count), &count);

  coffer_manual_clock_advance (clock, 0);
  coffer_manual_clock_set_usec (clock, 1000);

  g_assert_cmpuint (seen->len, ==, 0);
  g_assert_cmpuint (count, ==, 0);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

static void
test_manual_advance_past_the_end_of_time_is_refused (void)
{
  g_autoptr(CofferManualClock) clock = NULL;

  if (g_test_subprocess ())
    {
      clock = coffer_manual_clock_new (G_MAXINT64 - 10);
      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
      coffer_manual_clock_advance (clock, 11);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*overflows*");

  /* Up to the very end is fine. */
  clock = coffer_manual_clock_new (G_MAXINT64 - 10);
  coffer_manual_clock_advance (clock, 10);
  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==, G_MAXINT64);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

#define N_ADVANCERS 8
#define N_ADVANCES 2000
#define N_READS 20000

static gpointer
advance_many_times (gpointer data)
{
  CofferManualClock *clock = data;

  for (guint i = 0; i < N_ADVANCES; i++)
    coffer_manual_clock_advance (clock, 3);

  return NULL;
}

static gpointer
read_many_times (gpointer data)
{
  CofferClock *clock = data;
  gint64 last = coffer_clock_now_usec (clock);

  /* Advances only move forward, so every reader sees time that never goes back. */
  for (guint i = 0; i < N_READS; i++)
    {
      gint64 now = coffer_clock_now_usec (clock);

      if (now < last)
        return GINT_TO_POINTER (FALSE);
      last = now;
    }

  return GINT_TO_POINTER (TRUE);
}

static void
on_changed_count_atomically (CofferManualClock *clock,
                             gint64             now_usec,
                             gint              *count)
{
  g_atomic_int_inc (count);
}

static void
test_manual_concurrent_advances_all_count (void)
{
  g_autoptr(CofferManualClock) clock = coffer_manual_clock_new (SOME_TIME_USEC);
  GThread *advancers[N_ADVANCERS];
  GThread *reader;
  gint changed_count = 0;

  g_signal_connect (clock, "changed", G_CALLBACK (on_changed_count_atomically), &changed_count);

  reader = g_thread_new ("clock-reader", read_many_times, clock);
  for (guint i = 0; i < N_ADVANCERS; i++)
    advancers[i] = g_thread_new ("clock-advancer", advance_many_times, clock);

  for (guint i = 0; i < N_ADVANCERS; i++)
    g_thread_join (advancers[i]);
  g_assert_true (GPOINTER_TO_INT (g_thread_join (reader)));

  g_assert_cmpint (coffer_clock_now_usec (COFFER_CLOCK (clock)), ==,
                   SOME_TIME_USEC + 3 * N_ADVANCERS * N_ADVANCES);
  g_assert_cmpint (g_atomic_int_get (&changed_count), ==, N_ADVANCERS * N_ADVANCES);

  g_assert_finalize_object (g_steal_pointer (&clock));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/clock/interface/now-is-utc-with-microseconds",
                   test_interface_now_is_utc_with_microseconds);
  g_test_add_func ("/clock/interface/now-handles-times-before-the-epoch",
                   test_interface_now_handles_times_before_the_epoch);
  g_test_add_func ("/clock/system/follows-real-time", test_system_follows_real_time);
  g_test_add_func ("/clock/system/now-is-utc-and-current", test_system_now_is_utc_and_current);
  g_test_add_func ("/clock/manual/stands-still-until-moved", test_manual_stands_still_until_moved);
  g_test_add_func ("/clock/manual/set-moves-to-any-time", test_manual_set_moves_to_any_time);
  g_test_add_func ("/clock/manual/advance-adds-delta", test_manual_advance_adds_delta);
  g_test_add_func ("/clock/manual/advance-refuses-negative-delta",
                   test_manual_advance_refuses_negative_delta);
  g_test_add_func ("/clock/manual/changed-signal-carries-new-time",
                   test_manual_changed_signal_carries_new_time);
  g_test_add_func ("/clock/manual/notifies-now-usec", test_manual_notifies_now_usec);
  g_test_add_func ("/clock/manual/standing-still-emits-nothing",
                   test_manual_standing_still_emits_nothing);
  g_test_add_func ("/clock/manual/advance-past-the-end-of-time-is-refused",
                   test_manual_advance_past_the_end_of_time_is_refused);
  g_test_add_func ("/clock/manual/concurrent-advances-all-count",
                   test_manual_concurrent_advances_all_count);

  return g_test_run ();
}
