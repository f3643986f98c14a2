/* coffer-log.h: structured logging for coffer-server (journald or terminal lines). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  COFFER_LOG_FORMAT_AUTO,
  COFFER_LOG_FORMAT_JOURNAL,
  COFFER_LOG_FORMAT_TEXT,
  COFFER_LOG_FORMAT_JSON,
} CofferLogFormat;

gboolean        coffer_log_parse_level   (const char     *name,
                                          GLogLevelFlags *out_level);
CofferLogFormat coffer_log_parse_format  (const char     *name);
void            coffer_log_init          (GLogLevelFlags  level,
                                          CofferLogFormat format);
void            coffer_log_set_level     (GLogLevelFlags  level);
GLogLevelFlags  coffer_log_get_level     (void);

G_END_DECLS
