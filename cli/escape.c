/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Text the command prints: names from the system escaped for each format
 * (JSON, Prometheus, a terminal), messages on stderr, the library's byte
 * unit. */
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "duende-mlock.h"

const char *fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	duende_mlock_format_bytes(bytes, buf, len);
	return buf;
}

static bool continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when s does
 * not start one: overlong forms, surrogates and code points beyond
 * U+10FFFF are not valid. s is NUL-terminated, and NUL is never a
 * continuation byte, so no byte past it is read. */
static size_t utf8_length(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return continuation(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && continuation(s[2]) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && continuation(s[2]) && continuation(s[3]) ? 4 : 0;
	}
	return 0;
}

static uint32_t code_point(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = s[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Valid UTF-8 that a terminal would still act on rather than show: C1
 * controls (U+009B is CSI), and the invisible format and bidirectional
 * controls that reorder or hide what follows (U+202E and its kin). */
static bool acting_code_point(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* Each character of s: valid UTF-8 beyond ASCII goes out as it is but for
 * acting code points (as the text "\uXXXX", its backslash written as
 * escaped_backslash), ASCII through ascii(), any other byte as the text
 * "\xNN". */
static void put_utf8(FILE *f, const char *s, void (*ascii)(FILE *, unsigned char),
		     const char *escaped_backslash)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_length(p);

		if (n == 1)
			ascii(f, *p);
		else if (n && acting_code_point(code_point(p, n)))
			fprintf(f, "%su%04x", escaped_backslash, (unsigned)code_point(p, n));
		else if (n)
			fwrite(p, 1, n, f);
		else
			fprintf(f, "%sx%02x", escaped_backslash, *p);
		p += n ? n : 1;
	}
}

static void json_ascii(FILE *f, unsigned char c)
{
	if (c == '"' || c == '\\')
		fprintf(f, "\\%c", c);
	else if (c < 0x20 || c == 0x7f)
		fprintf(f, "\\u%04x", c);
	else
		fputc(c, f);
}

void put_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	put_utf8(f, s, json_ascii, "\\\\");
	fputc('"', f);
}

static void prom_ascii(FILE *f, unsigned char c)
{
	if (c == '"' || c == '\\')
		fprintf(f, "\\%c", c);
	else if (c == '\n')
		fputs("\\n", f);
	else if (c < 0x20 || c == 0x7f)
		fprintf(f, "\\\\x%02x", c);
	else
		fputc(c, f);
}

void put_prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	put_utf8(f, s, prom_ascii, "\\\\");
	fputc('"', f);
}

int text_width(const char *s)
{
	return duende_mlock_escape(s, strlen(s), NULL, 0);
}

void put_text(FILE *f, const char *s, int width)
{
	char buf[512];
	int n = duende_mlock_escape(s, strlen(s), buf, sizeof(buf));

	fputs(buf, f);
	if (n < width)
		fprintf(f, "%*s", width - n, "");
}

void say(const char *sub, const char *fmt, ...)
{
	char text[4096], shown[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* The message quotes names, paths and arguments that anyone may have
	 * chosen: nothing of them reaches a terminal unescaped. */
	duende_mlock_escape(text, strlen(text), shown, sizeof(shown));
	fprintf(stderr, "%s: %s%s%s\n", cli_name, sub ? sub : "", sub ? ": " : "", shown);
}

/* Lines say_unblocked() could not write, by descriptor (0..2). */
static unsigned unwritten[3];

static bool writable_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

/* One write of a whole line, or none: a line shorter than PIPE_BUF goes
 * into a pipe that polls writable at once. */
static bool write_line_now(int fd, const char *line, size_t len)
{
	return writable_now(fd) && write(fd, line, len) == (ssize_t)len;
}

void say_unblocked(int fd, const char *sub, const char *fmt, ...)
{
	char text[1536], shown[3072], line[3200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	duende_mlock_escape(text, strlen(text), shown, sizeof(shown));
	if (fd >= 0 && fd <= 2 && unwritten[fd]) {
		n = snprintf(line, sizeof(line), "%s: %u line(s) not written: the output was not read in time\n",
			     cli_name, unwritten[fd]);
		if (!write_line_now(fd, line, (size_t)n)) {
			unwritten[fd]++;
			return;
		}
		unwritten[fd] = 0;
	}
	if (sub)
		n = snprintf(line, sizeof(line), "%s: %s: %s\n", cli_name, sub, shown);
	else
		n = snprintf(line, sizeof(line), "%s\n", shown);
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1, line[n - 1] = '\n';
	if (!write_line_now(fd, line, (size_t)n) && fd >= 0 && fd <= 2)
		unwritten[fd]++;
}

void put_lines(FILE *f, const char *indent, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(f, "%s%.*s\n", indent, (int)n, p);
		p += n + (p[n] ? 1 : 0);
	}
}
