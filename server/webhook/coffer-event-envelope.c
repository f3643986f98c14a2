/* coffer-event-envelope.c: the inbox needs five top-level members of each
 * webhook body (id, type, created, livemode, api_version) and the knowledge
 * that the body is valid JSON. Building a whole json-glib tree for that was
 * most of the server's CPU per webhook, so this validates the JSON grammar
 * (RFC 8259) in one pass with a depth limit and copies out only those five. */
#include "config.h"

#include "coffer-event-envelope.h"

#include <string.h>

typedef struct
{
  const char *p;
  const char *end;
  guint       depth;
  guint       max_depth;
  const char *problem;
} Scanner;

void
coffer_event_envelope_clear (CofferEventEnvelope *envelope)
{
  g_clear_pointer (&envelope->id, g_free);
  g_clear_pointer (&envelope->type, g_free);
  g_clear_pointer (&envelope->api_version, g_free);
}

static void
skip_space (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
fail (Scanner    *s,
      const char *problem)
{
  if (s->problem == NULL)
    s->problem = problem;
  return FALSE;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Scanner  *s,
           gunichar *out)
{
  gunichar value = 0;

  if (s->end - s->p < 4)
    return fail (s, "a \\u escape is cut short");
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_value (s->p[i]);

      if (digit < 0)
        return fail (s, "a \\u escape has a non-hex digit");
      value = value * 16 + (gunichar) digit;
    }
  s->p += 4;
  *out = value;
  return TRUE;
}

/* Reads a string (the opening quote already consumed). When @out is not
 * NULL the decoded text is appended to it. */
static gboolean
read_string (Scanner *s,
             GString *out)
{
  while (s->p < s->end)
    {
      unsigned char c = (unsigned char) *s->p++;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return fail (s, "a string holds a raw control character");
      if (c != '\\')
        {
          if (out)
            g_string_append_c (out, (char) c);
          continue;
        }
      if (s->p >= s->end)
        break;
      c = (unsigned char) *s->p++;
      switch (c)
        {
        case '"': case '\\': case '/':
          if (out)
            g_string_append_c (out, (char) c);
          break;
        case 'b': if (out) g_string_append_c (out, '\b'); break;
        case 'f': if (out) g_string_append_c (out, '\f'); break;
        case 'n': if (out) g_string_append_c (out, '\n'); break;
        case 'r': if (out) g_string_append_c (out, '\r'); break;
        case 't': if (out) g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar unit, low;

            if (!read_hex4 (s, &unit))
              return FALSE;
            if (unit >= 0xD800 && unit <= 0xDBFF)
              {
                if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
                  return fail (s, "a \\u escape has half a surrogate pair");
                s->p += 2;
                if (!read_hex4 (s, &low) || low < 0xDC00 || low > 0xDFFF)
                  return fail (s, "a \\u escape has half a surrogate pair");
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
              }
            else if (unit >= 0xDC00 && unit <= 0xDFFF)
              return fail (s, "a \\u escape has half a surrogate pair");
            if (out)
              g_string_append_unichar (out, unit);
          }
          break;
        default:
          return fail (s, "a string has an unknown escape");
        }
    }
  return fail (s, "a string is not closed");
}

/* Reads a number; when @out_integer is not NULL and the number is a plain
 * integer that fits, stores it and sets *out_is_integer. */
static gboolean
read_number (Scanner  *s,
             gint64   *out_integer,
             gboolean *out_is_integer)
{
  const char *start = s->p;
  gboolean integer = TRUE;

  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p >= s->end || !g_ascii_isdigit (*s->p))
    return fail (s, "a number has no digits");
  if (*s->p == '0')
    s->p++;
  else
    while (s->p < s->end && g_ascii_isdigit (*s->p))
      s->p++;
  if (s->p < s->end && *s->p == '.')
    {
      integer = FALSE;
      s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return fail (s, "a number has no digits after its point");
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      integer = FALSE;
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return fail (s, "a number has no digits in its exponent");
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }
  if (out_is_integer)
    {
      g_autofree char *text = g_strndup (start, s->p - start);
      gint64 value;

      *out_is_integer = integer && g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64,
                                                             &value, NULL);
      if (*out_is_integer)
        *out_integer = value;
    }
  return TRUE;
}

static gboolean
read_literal (Scanner    *s,
              const char *word)
{
  gsize length = strlen (word);

  if ((gsize) (s->end - s->p) < length || memcmp (s->p, word, length) != 0)
    return fail (s, "an unknown word where a value belongs");
  s->p += length;
  return TRUE;
}

static gboolean read_value (Scanner *s);

static gboolean
read_container (Scanner *s,
                char     close)
{
  gboolean first = TRUE;

  if (++s->depth > s->max_depth)
    return fail (s, "the body nests too deeply");
  for (;;)
    {
      skip_space (s);
      if (s->p < s->end && *s->p == close && first)
        {
          s->p++;
          break;
        }
      if (close == '}')
        {
          if (s->p >= s->end || *s->p != '"')
            return fail (s, "an object member has no quoted name");
          s->p++;
          if (!read_string (s, NULL))
            return FALSE;
          skip_space (s);
          if (s->p >= s->end || *s->p != ':')
            return fail (s, "an object member has no colon");
          s->p++;
        }
      if (!read_value (s))
        return FALSE;
      skip_space (s);
      if (s->p < s->end && *s->p == ',')
        {
          s->p++;
          first = FALSE;
          continue;
        }
      if (s->p < s->end && *s->p == close)
        {
          s->p++;
          break;
        }
      return fail (s, close == '}' ? "an object is not closed" : "an array is not closed");
    }
  s->depth--;
  return TRUE;
}

static gboolean
read_value (Scanner *s)
{
  skip_space (s);
  if (s->p >= s->end)
    return fail (s, "the body ends where a value belongs");
  switch (*s->p)
    {
    case '{': s->p++; return read_container (s, '}');
    case '[': s->p++; return read_container (s, ']');
    case '"': s->p++; return read_string (s, NULL);
    case 't': return read_literal (s, "true");
    case 'f': return read_literal (s, "false");
    case 'n': return read_literal (s, "null");
    default: return read_number (s, NULL, NULL);
    }
}

static char *
take (GString *text)
{
  return g_string_free (text, FALSE);
}

gboolean
coffer_event_envelope_parse (const char          *data,
                             gsize                length,
                             guint                max_depth,
                             CofferEventEnvelope *out,
                             char               **out_problem)
{
  Scanner s = { data, data + length, 1, max_depth, NULL };
  gboolean first = TRUE;

  memset (out, 0, sizeof *out);
  out->livemode = -1;

  skip_space (&s);
  if (s.p >= s.end || *s.p != '{')
    {
      *out_problem = g_strdup ("The body is not a JSON object");
      return FALSE;
    }
  s.p++;

  /* The top-level object, member by member: ours are kept, others skipped. */
  for (;;)
    {
      g_autoptr (GString) name = g_string_new (NULL);

      skip_space (&s);
      if (s.p < s.end && *s.p == '}' && first)
        {
          s.p++;
          break;
        }
      if (s.p >= s.end || *s.p != '"')
        {
          fail (&s, "an object member has no quoted name");
          break;
        }
      s.p++;
      if (!read_string (&s, name))
        break;
      skip_space (&s);
      if (s.p >= s.end || *s.p != ':')
        {
          fail (&s, "an object member has no colon");
          break;
        }
      s.p++;
      skip_space (&s);

      if ((strcmp (name->str, "id") == 0 || strcmp (name->str, "type") == 0 ||
           strcmp (name->str, "api_version") == 0) && s.p < s.end && *s.p == '"')
        {
          GString *text = g_string_new (NULL);
          char **slot = strcmp (name->str, "id") == 0     ? &out->id
                        : strcmp (name->str, "type") == 0 ? &out->type
                                                           : &out->api_version;

          s.p++;
          if (!read_string (&s, text))
            {
              g_string_free (text, TRUE);
              break;
            }
          g_free (*slot);
          *slot = take (text);
          if (slot == &out->id)
            out->id_is_string = TRUE;
          if (slot == &out->type)
            out->type_is_string = TRUE;
        }
      else if (strcmp (name->str, "created") == 0 && s.p < s.end &&
               (*s.p == '-' || g_ascii_isdigit (*s.p)))
        {
          if (!read_number (&s, &out->created, &out->has_created))
            break;
        }
      else if (strcmp (name->str, "livemode") == 0 && s.p < s.end &&
               (*s.p == 't' || *s.p == 'f'))
        {
          gboolean is_true = *s.p == 't';

          if (!read_literal (&s, is_true ? "true" : "false"))
            break;
          out->livemode = is_true ? 1 : 0;
        }
      else
        {
          /* A member we skip; if it is one of ours with the wrong type,
           * forget an earlier good value so the event is judged as sent. */
          if (strcmp (name->str, "id") == 0)
            {
              g_clear_pointer (&out->id, g_free);
              out->id_is_string = FALSE;
            }
          else if (strcmp (name->str, "type") == 0)
            {
              g_clear_pointer (&out->type, g_free);
              out->type_is_string = FALSE;
            }
          else if (strcmp (name->str, "created") == 0)
            out->has_created = FALSE;
          else if (strcmp (name->str, "livemode") == 0)
            out->livemode = -1;
          if (!read_value (&s))
            break;
        }

      skip_space (&s);
      if (s.p < s.end && *s.p == ',')
        {
          s.p++;
          first = FALSE;
          continue;
        }
      if (s.p < s.end && *s.p == '}')
        {
          s.p++;
          break;
        }
      fail (&s, "the event object is not closed");
      break;
    }

  if (s.problem == NULL)
    {
      skip_space (&s);
      if (s.p != s.end)
        fail (&s, "something follows the JSON object");
    }
  if (s.problem)
    {
      *out_problem = g_strdup_printf ("The body is not valid JSON: %s (at byte %"
                                      G_GSIZE_FORMAT ")", s.problem, (gsize) (s.p - data));
      coffer_event_envelope_clear (out);
      return FALSE;
    }
  return TRUE;
}
