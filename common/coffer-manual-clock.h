/* coffer-manual-clock.h: CofferManualClock, a CofferClock that tests and the demo move by hand. */
#pragma once

#include "coffer-clock.h"

G_BEGIN_DECLS

#define COFFER_TYPE_MANUAL_CLOCK (coffer_manual_clock_get_type ())
G_DECLARE_FINAL_TYPE (CofferManualClock, coffer_manual_clock, COFFER, MANUAL_CLOCK, GObject)

CofferManualClock *coffer_manual_clock_new     (gint64             start_usec);
void               coffer_manual_clock_set_usec (CofferManualClock *self,
                                                 gint64             usec);
void               coffer_manual_clock_advance  (CofferManualClock *self,
                                                 gint64             delta_usec);

G_END_DECLS
