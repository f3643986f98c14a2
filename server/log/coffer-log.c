/* coffer-log.c: a g_log writer that filters by the configured level and writes
 * journald records under systemd or one readable line per record on a terminal. */
#include "config.h"

#include "coffer-log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static GLogLevelFlags  log_threshold = G_LOG_LEVEL_INFO;
static CofferLogFormat log_format = COFFER_LOG_FORMAT_TEXT;
static gboolean        log_use_color = FALSE;
static GMutex          log_mutex;

static const struct
{
  const char     *name;
  GLogLevelFlags  level;
} level_names[] = {
  { "error", G_LOG_LEVEL_ERROR },
  { "critical", G_LOG_LEVEL_CRITICAL },
  { "warning", G_LOG_LEVEL_WARNING },
  { "message", G_LOG_LEVEL_MESSAGE },
  { "info", G_LOG_LEVEL_INFO },
  { "debug", G_LOG_LEVEL_DEBUG },
};

gboolean
coffer_log_parse_level (const char     *name,
                        GLogLevelFlags *out_level)
{
  for (gsize i = 0; i < G_N_ELEMENTS (level_names); i++)
    if (g_ascii_strcasecmp (name, level_names[i].name) == 0)
      {
        *out_level = level_names[i].level;
        return TRUE;
      }
  return FALSE;
}

CofferLogFormat
coffer_log_parse_format (const char *name)
{
  if (g_strcmp0 (name, "journal") == 0)
    return COFFER_LOG_FORMAT_JOURNAL;
  if (g_strcmp0 (name, "text") == 0)
    return COFFER_LOG_FORMAT_TEXT;
  if (g_strcmp0 (name, "json") == 0)
    return COFFER_LOG_FORMAT_JSON;
  return COFFER_LOG_FORMAT_AUTO;
}

static const char *
level_label (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "ERROR";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING)
    return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "NOTICE";
  if (level & G_LOG_LEVEL_INFO)
    return "INFO";
  return "DEBUG";
}

static const char *
level_color (GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return "\033[1;31m";
  if (level & G_LOG_LEVEL_WARNING)
    return "\033[1;33m";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "\033[1;32m";
  if (level & G_LOG_LEVEL_INFO)
    return "\033[1;34m";
  return "\033[2m";
}

/* Lower numbers are more severe: error < critical < ... < debug. */
static guint
level_rank (GLogLevelFlags level)
{
  for (gsize i = 0; i < G_N_ELEMENTS (level_names); i++)
    if (level & level_names[i].level)
      return i;
  return G_N_ELEMENTS (level_names);
}

static gboolean
field_is_internal (const char *key)
{
  return strcmp (key, "MESSAGE") == 0 || strcmp (key, "PRIORITY") == 0 ||
         strcmp (key, "GLIB_DOMAIN") == 0 || strcmp (key, "GLIB_OLD_LOG_API") == 0 ||
         strcmp (key, "CODE_FILE") == 0 || strcmp (key, "CODE_LINE") == 0 ||
         strcmp (key, "CODE_FUNC") == 0 || strcmp (key, "SYSLOG_IDENTIFIER") == 0;
}

static char *
field_value (const GLogField *field)
{
  if (field->length < 0)
    return g_strdup (field->value);
  return g_strndup (field->value, field->length);
}

static void
append_text_value (GString    *line,
                   const char *value)
{
  gboolean needs_quotes = *value == '\0' || strpbrk (value, " \t\"=\n") != NULL;

  if (!needs_quotes)
    {
      g_string_append (line, value);
      return;
    }
  g_string_append_c (line, '"');
  for (const char *p = value; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (line, '\\');
      if (*p == '\n')
        g_string_append (line, "\\n");
      else
        g_string_append_c (line, *p);
    }
  g_string_append_c (line, '"');
}

static void
append_json_string (GString    *out,
                    const char *value)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) value; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

static GString *
format_line (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *message = NULL;
  g_autofree char *domain = NULL;
  GString *line = g_string_new (NULL);

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = field_value (&fields[i]);
      else if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = field_value (&fields[i]);
    }

  if (log_format == COFFER_LOG_FORMAT_JSON)
    {
      g_string_append_printf (line, "{\"time\":\"%s.%03dZ\",\"level\":\"%s\"", stamp,
                              g_date_time_get_microsecond (now) / 1000, level_label (level));
      if (domain)
        {
          g_string_append (line, ",\"domain\":");
          append_json_string (line, domain);
        }
      g_string_append (line, ",\"message\":");
      append_json_string (line, message ? message : "");
      for (gsize i = 0; i < n_fields; i++)
        {
          g_autofree char *value = NULL;

          if (field_is_internal (fields[i].key))
            continue;
          value = field_value (&fields[i]);
          g_string_append_c (line, ',');
          append_json_string (line, fields[i].key);
          g_string_append_c (line, ':');
          append_json_string (line, value);
        }
      g_string_append (line, "}\n");
      return line;
    }

  if (log_use_color)
    g_string_append_printf (line, "\033[2m%s.%03dZ\033[0m %s%-8s\033[0m ", stamp,
                            g_date_time_get_microsecond (now) / 1000, level_color (level),
                            level_label (level));
  else
    g_string_append_printf (line, "%s.%03dZ %-8s ", stamp,
                            g_date_time_get_microsecond (now) / 1000, level_label (level));
  if (domain && strcmp (domain, "coffer") != 0)
    g_string_append_printf (line, "[%s] ", domain);
  g_string_append (line, message ? message : "");
  for (gsize i = 0; i < n_fields; i++)
    {
      g_autofree char *value = NULL;
      g_autofree char *key = NULL;

      if (field_is_internal (fields[i].key))
        continue;
      value = field_value (&fields[i]);
      key = g_ascii_strdown (fields[i].key, -1);
      g_string_append_c (line, ' ');
      if (log_use_color)
        g_string_append_printf (line, "\033[2m%s=\033[0m", key);
      else
        g_string_append_printf (line, "%s=", key);
      append_text_value (line, value);
    }
  g_string_append_c (line, '\n');
  return line;
}

static GLogWriterOutput
coffer_log_writer (GLogLevelFlags   level,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         user_data)
{
  g_autoptr (GString) line = NULL;

  /* Fatal levels always go out; everything else obeys the threshold. */
  if (!(level & G_LOG_FLAG_FATAL) && level_rank (level) > level_rank (log_threshold))
    return G_LOG_WRITER_HANDLED;

  if (log_format == COFFER_LOG_FORMAT_JOURNAL)
    {
      if (g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;
    }

  line = format_line (level, fields, n_fields);
  g_mutex_lock (&log_mutex);
  fputs (line->str, stderr);
  fflush (stderr);
  g_mutex_unlock (&log_mutex);
  return G_LOG_WRITER_HANDLED;
}

void
coffer_log_init (GLogLevelFlags  level,
                 CofferLogFormat format)
{
  static gsize initialised = 0;

  log_threshold = level;
  if (format == COFFER_LOG_FORMAT_AUTO)
    format = g_log_writer_is_journald (fileno (stderr)) ? COFFER_LOG_FORMAT_JOURNAL
                                                         : COFFER_LOG_FORMAT_TEXT;
  log_format = format;
  log_use_color = format == COFFER_LOG_FORMAT_TEXT && g_log_writer_supports_color (fileno (stderr));

  if (g_once_init_enter (&initialised))
    {
      g_log_set_writer_func (coffer_log_writer, NULL, NULL);
      g_once_init_leave (&initialised, 1);
    }
}

void
coffer_log_set_level (GLogLevelFlags level)
{
  g_atomic_int_set ((int *) &log_threshold, level);
}

GLogLevelFlags
coffer_log_get_level (void)
{
  return log_threshold;
}
