/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The command line's arguments: usage errors, numbers, sizes, PIDs. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duende-mlock.h"

int usage_error(const char *sub, const char *usage, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	say(sub, "%s", text);
	fprintf(stderr, "usage: %s %s\nTry '%s %s --help' for more.\n", cli_name, usage, cli_name,
		sub);
	return EXIT_USAGE;
}

bool parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_pid(const char *s, pid_t *out)
{
	long v;

	if (!parse_int(s, 1, 0x7fffffff, &v))
		return false;
	*out = (pid_t)v;
	return true;
}

bool parse_size(const char *s, bool allow_unlimited, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 },     { "K", 10 }, { "KiB", 10 }, { "k", 10 }, { "M", 20 }, { "MiB", 20 },
		{ "m", 20 },   { "G", 30 }, { "GiB", 30 }, { "g", 30 }, { "T", 40 }, { "TiB", 40 },
		{ "t", 40 },
	};
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return false;
	if (allow_unlimited && (strcmp(s, "unlimited") == 0 || strcmp(s, "infinity") == 0)) {
		*out = UINT64_MAX;
		return true;
	}
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return false;
		*out = (uint64_t)v << units[i].shift;
		return true;
	}
	return false;
}
