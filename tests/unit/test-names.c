/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The names of severities, finding codes and verdicts: every enumerator
 * and verdict bit that the public header declares (read from the header
 * itself, so one added without a name fails here) has the name the rule
 * gives it, the enumerator after its prefix in lower case with blanks for
 * underscores; values the header does not declare have none.
 * Usage: test-names HEADER */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "duende-mlock.h"
#include "harness.h"

#define MAX_NAMES 64

struct declared {
	char name[MAX_NAMES][64]; /* the rule's name of each */
	long value[MAX_NAMES];
	int n;
	long max;
};

/* "CANNOT_LOCK" -> "cannot lock" */
static void rule_name(const char *suffix, size_t len, char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++)
		out[i] = suffix[i] == '_' ? ' ' : (char)tolower((unsigned char)suffix[i]);
	out[i] = '\0';
}

static void add(struct declared *d, const char *suffix, size_t len, long value)
{
	if (d->n == MAX_NAMES)
		return;
	rule_name(suffix, len, d->name[d->n], sizeof(d->name[0]));
	d->value[d->n++] = value;
	if (value > d->max)
		d->max = value;
}

static size_t ident_length(const char *s)
{
	size_t n = 0;

	while (isupper((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* The enumerators of "enum TAG {" (PREFIX...), each with its value. */
static void read_enum(FILE *h, const char *tag, const char *prefix, struct declared *d)
{
	char line[512];
	bool inside = false;
	long next = 0;

	rewind(h);
	memset(d, 0, sizeof(*d));
	d->max = -1;
	while (fgets(line, sizeof(line), h)) {
		const char *p = line + strspn(line, " \t");
		if (!inside) {
			inside = strncmp(line, "enum ", 5) == 0 && strncmp(line + 5, tag, strlen(tag)) == 0 &&
				 line[5 + strlen(tag)] == ' ';
			continue;
		}
		if (*p == '}')
			return;
		if (strncmp(p, prefix, strlen(prefix)) != 0)
			continue;
		p += strlen(prefix);
		size_t len = ident_length(p);
		const char *eq = strchr(p + len, '=');
		if (eq && eq < strchr(p + len, ','))
			next = strtol(eq + 1, NULL, 0);
		add(d, p, len, next++);
	}
}

/* #define DUENDE_MLOCK_V_NAME (1u << N) */
static void read_verdicts(FILE *h, struct declared *d)
{
	static const char def[] = "#define DUENDE_MLOCK_V_";
	char line[512];

	rewind(h);
	memset(d, 0, sizeof(*d));
	d->max = -1;
	while (fgets(line, sizeof(line), h)) {
		const char *p = line + strlen(def);
		int bit;
		if (strncmp(line, def, strlen(def)) != 0)
			continue;
		size_t len = ident_length(p);
		if (sscanf(p + len, " (1u << %d)", &bit) == 1)
			add(d, p, len, bit);
	}
}

/* got is want (NULL: no name), else a failure that names the value. */
static void expect_name(const char *got, const char *want, const char *what, long value)
{
	if (got == want || (got && want && strcmp(got, want) == 0))
		return;
	fprintf(stderr, "%s %ld: got %s%s%s, expected %s%s%s\n", what, value, got ? "\"" : "",
		got ? got : "NULL", got ? "\"" : "", want ? "\"" : "", want ? want : "NULL",
		want ? "\"" : "");
	t_failures++;
}

/* Every declared value has its rule's name, and each value around them
 * that the header does not declare has none. */
static void check_enum(const struct declared *d, const char *what, const char *(*name)(long))
{
	for (long v = -2; v <= d->max + 2; v++) {
		const char *want = NULL;
		for (int i = 0; i < d->n; i++)
			if (d->value[i] == v)
				want = d->name[i];
		expect_name(name(v), want, what, v);
	}
}

static const char *severity(long v) { return duende_mlock_severity_name((enum duende_mlock_severity)v); }
static const char *finding(long v) { return duende_mlock_finding_name((enum duende_mlock_finding_code)v); }
static const char *lock_state(long v) { return duende_mlock_lock_state_name((enum duende_mlock_lock_state)v); }

int main(int argc, char **argv)
{
	struct declared d;
	FILE *h;

	if (argc != 2 || !(h = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: test-names HEADER (the public header to hold the names to)\n");
		return T_FAIL;
	}
	read_enum(h, "duende_mlock_severity", "DUENDE_MLOCK_SEVERITY_", &d);
	CHECK_EQ_INT(d.n, 4); /* the reader found what the header says */
	check_enum(&d, "severity", severity);
	CHECK_EQ_STR(duende_mlock_severity_name(DUENDE_MLOCK_SEVERITY_CANNOT_LOCK), "cannot lock");

	read_enum(h, "duende_mlock_finding_code", "DUENDE_MLOCK_FOUND_", &d);
	CHECK(d.n >= 25);
	CHECK_EQ_INT(d.value[0], 1);
	check_enum(&d, "finding code", finding);
	CHECK_EQ_STR(duende_mlock_finding_name(DUENDE_MLOCK_FOUND_MEMLOCK_TOO_LOW), "memlock too low");

	read_enum(h, "duende_mlock_lock_state", "DUENDE_MLOCK_LOCK_STATE_", &d);
	CHECK_EQ_INT(d.n, 5);
	check_enum(&d, "lock state", lock_state);
	CHECK(duende_mlock_lock_state_name((enum duende_mlock_lock_state)5) == NULL);

	read_verdicts(h, &d);
	CHECK(d.n >= 5);
	for (int i = 0; i < d.n; i++)
		expect_name(duende_mlock_verdict_name(UINT32_C(1) << d.value[i]), d.name[i], "verdict bit",
			    d.value[i]);
	CHECK_EQ_STR(duende_mlock_verdict_name(DUENDE_MLOCK_V_NOT_RESPONDING), "not responding");
	/* Not one bit, or a bit no verdict uses. */
	CHECK(duende_mlock_verdict_name(0) == NULL);
	CHECK(duende_mlock_verdict_name(DUENDE_MLOCK_V_LOCKED | DUENDE_MLOCK_V_IO_FLUSHER) == NULL);
	CHECK(duende_mlock_verdict_name(UINT32_C(1) << (d.max + 1)) == NULL);
	CHECK(duende_mlock_verdict_name(UINT32_C(1) << 31) == NULL);
	fclose(h);
	return t_result();
}
