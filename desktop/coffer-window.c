/* coffer-window.c: the main window. The pages arrive with the desktop issue. */
#include "config.h"

#include "coffer-window.h"

struct _CofferWindow
{
  AdwApplicationWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (CofferWindow, coffer_window, ADW_TYPE_APPLICATION_WINDOW)

static void
coffer_window_class_init (CofferWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/coffer/Coffer/coffer-window.ui");
}

static void
coffer_window_init (CofferWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CofferWindow *
coffer_window_new (AdwApplication *application)
{
  return g_object_new (COFFER_TYPE_WINDOW, "application", application, NULL);
}
