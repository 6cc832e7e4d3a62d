/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Output helpers: the library's byte unit, JSON strings, Prometheus labels. */
#include "cli.h"
#include "duende-mlock.h"

const char *fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	duende_mlock_format_bytes(bytes, buf, len);
	return buf;
}

void put_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void put_prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}
