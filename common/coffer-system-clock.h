/* coffer-system-clock.h: CofferSystemClock, the production CofferClock (the real wall clock). */
#pragma once

#include "coffer-clock.h"

G_BEGIN_DECLS

#define COFFER_TYPE_SYSTEM_CLOCK (coffer_system_clock_get_type ())
G_DECLARE_FINAL_TYPE (CofferSystemClock, coffer_system_clock, COFFER, SYSTEM_CLOCK, GObject)

CofferClock *coffer_system_clock_new (void);

G_END_DECLS
