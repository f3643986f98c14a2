/* test-webhook-retry.c: when a failed event is tried again. */
#include "config.h"

#include "webhook/coffer-webhook-worker.h"

static void
test_delay_doubles_from_the_base (void)
{
  /* With no jitter (random 0) the delays are the plain schedule. */
  g_assert_cmpint (coffer_webhook_retry_delay_s (1, 10, 3600, 0), ==, 10);
  g_assert_cmpint (coffer_webhook_retry_delay_s (2, 10, 3600, 0), ==, 20);
  g_assert_cmpint (coffer_webhook_retry_delay_s (3, 10, 3600, 0), ==, 40);
  g_assert_cmpint (coffer_webhook_retry_delay_s (7, 10, 3600, 0), ==, 640);
}

static void
test_delay_is_capped (void)
{
  g_assert_cmpint (coffer_webhook_retry_delay_s (9, 10, 3600, 0), ==, 2560);
  g_assert_cmpint (coffer_webhook_retry_delay_s (10, 10, 3600, 0), ==, 3600);
  /* Huge attempt counts neither overflow nor pass the cap. */
  g_assert_cmpint (coffer_webhook_retry_delay_s (1000, 10, 3600, 0), ==, 3600);
  g_assert_cmpint (coffer_webhook_retry_delay_s (G_MAXUINT, 1, 604800, 0), ==, 604800);
}

static void
test_jitter_takes_off_at_most_a_quarter (void)
{
  for (guint32 random = 0; random < 100000; random += 7)
    {
      gint64 delay = coffer_webhook_retry_delay_s (4, 10, 3600, random);

      g_assert_cmpint (delay, <=, 80);
      g_assert_cmpint (delay, >=, 60);
    }
  g_assert_cmpint (coffer_webhook_retry_delay_s (4, 10, 3600, G_MAXUINT32), >=, 60);
  /* A one-second delay stays positive. */
  g_assert_cmpint (coffer_webhook_retry_delay_s (1, 1, 3600, G_MAXUINT32), >=, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webhook/retry/delay-doubles-from-the-base", test_delay_doubles_from_the_base);
  g_test_add_func ("/webhook/retry/delay-is-capped", test_delay_is_capped);
  g_test_add_func ("/webhook/retry/jitter-takes-off-at-most-a-quarter",
                   test_jitter_takes_off_at_most_a_quarter);

  return g_test_run ();
}
