/* coffer-window.h: the main window of the Coffer desktop app. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define COFFER_TYPE_WINDOW (coffer_window_get_type ())
G_DECLARE_FINAL_TYPE (CofferWindow, coffer_window, COFFER, WINDOW, AdwApplicationWindow)

CofferWindow *coffer_window_new (AdwApplication *application);

G_END_DECLS
