/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE
#include "env-command.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec-settings.h"

/* ---- -S STRING, split as env splits it ---- */

struct splitter {
	struct env_command *ec;
	size_t used;      /* of ec->store */
	char **out;       /* the words */
	int n, cap;
	bool in_word;
	size_t start;
};

static int start_word(struct splitter *sp)
{
	if (!sp->in_word) {
		sp->start = sp->used;
		sp->in_word = true;
	}
	return 0;
}

static int put_char(struct splitter *sp, char c)
{
	start_word(sp);
	if (sp->used + 1 >= sizeof(sp->ec->store))
		return -E2BIG;
	sp->ec->store[sp->used++] = c;
	return 0;
}

static int end_word(struct splitter *sp)
{
	if (!sp->in_word)
		return 0;
	if (sp->used + 1 > sizeof(sp->ec->store) || sp->n >= sp->cap - 1)
		return -E2BIG;
	sp->ec->store[sp->used++] = '\0';
	sp->out[sp->n++] = sp->ec->store + sp->start;
	sp->in_word = false;
	return 0;
}

/* ${NAME} at *s (past the '$'): its value from this environment, which env
 * also expands from (before its -u and NAME=VALUE take effect). */
static int put_variable(struct splitter *sp, const char **s)
{
	const char *p = *s, *value;
	char name[256];
	size_t n = 0;

	if (*p++ != '{' || !(isalpha((unsigned char)*p) || *p == '_'))
		return -EINVAL; /* env accepts ${NAME} only */
	while ((isalnum((unsigned char)*p) || *p == '_') && n + 1 < sizeof(name))
		name[n++] = *p++;
	name[n] = '\0';
	if (*p++ != '}')
		return -EINVAL;
	*s = p;
	value = getenv(name);
	start_word(sp);
	for (; value && *value; value++)
		if (put_char(sp, *value))
			return -E2BIG;
	return 0;
}

/* A backslash escape at *s (past the backslash); quote is the quote it
 * stands in ('\'', '"' or 0). *stop is set by \c. */
static int put_escape(struct splitter *sp, const char **s, char quote, bool *stop)
{
	static const char from[] = "fnrtv", to[] = "\f\n\r\t\v";
	const char *at;
	char c = **s;

	if (!c)
		return -EINVAL; /* env: a backslash at the end */
	(*s)++;

	if (quote == '\'') { /* only \\ and \' are escapes there */
		if (c == '\\' || c == '\'')
			return put_char(sp, c);
		(*s)--;
		return put_char(sp, '\\');
	}
	if (c == '_')
		return quote ? put_char(sp, ' ') : end_word(sp);
	if (c == 'c') {
		*stop = true;
		return 0;
	}
	if (c && (at = strchr(from, c)))
		return put_char(sp, to[at - from]);
	if (c == '\\' || c == '"' || c == '\'' || c == '$' || c == '#' || c == ' ')
		return put_char(sp, c);
	return -EINVAL; /* env: invalid backslash */
}

static int split(const char *s, struct splitter *sp)
{
	char quote = 0;
	bool stop = false;
	int rc = 0;

	while (*s && !stop && rc == 0) {
		char c = *s++;
		if (quote && c == quote) {
			quote = 0;
		} else if (!quote && (c == '\'' || c == '"')) {
			quote = c;
			rc = start_word(sp);
		} else if (c == '\\') {
			rc = put_escape(sp, &s, quote, &stop);
		} else if (c == '$' && quote != '\'') {
			rc = put_variable(sp, &s);
		} else if (!quote && strchr(" \t\n\v\f\r", c)) {
			rc = end_word(sp);
		} else if (!quote && c == '#' && !sp->in_word) {
			break; /* a comment to the end */
		} else {
			rc = put_char(sp, c);
		}
	}
	if (quote && rc == 0)
		rc = -EINVAL; /* env: no terminating quote */
	return rc ? rc : end_word(sp);
}

/* ---- env's arguments ---- */

static bool removes_preload(const char *name)
{
	return strcmp(name, "LD_PRELOAD") == 0 || strcmp(name, DM_EXEC_SETTINGS_ENV) == 0;
}

/* argv becomes env, the words of text, then argv[from..]: env re-reads
 * its options from there. */
static int resplit(struct env_command *ec, int *argc, int from, const char *text, size_t *used)
{
	char *words[ENV_MAX_ARGS];
	struct splitter sp = { .ec = ec, .used = *used, .out = words, .n = 1, .cap = ENV_MAX_ARGS };
	int rc;

	words[0] = ec->args[0];
	rc = split(text, &sp);
	if (rc)
		return rc;
	for (int i = from; i < *argc; i++) {
		if (sp.n >= ENV_MAX_ARGS - 1)
			return -E2BIG;
		words[sp.n++] = ec->args[i];
	}
	memcpy(ec->args, words, (size_t)sp.n * sizeof(words[0]));
	ec->args[sp.n] = NULL;
	*argc = sp.n;
	*used = sp.used;
	return 0;
}

static int parse(struct env_command *ec, int argc)
{
	enum { SIGNAL_OPTION = 256, LIST_SIGNALS };
	static const struct option longs[] = {
		{ "ignore-environment", no_argument, NULL, 'i' },
		{ "null", no_argument, NULL, '0' },
		{ "unset", required_argument, NULL, 'u' },
		{ "chdir", required_argument, NULL, 'C' },
		{ "default-signal", optional_argument, NULL, SIGNAL_OPTION },
		{ "ignore-signal", optional_argument, NULL, SIGNAL_OPTION },
		{ "block-signal", optional_argument, NULL, SIGNAL_OPTION },
		{ "list-signal-handling", no_argument, NULL, LIST_SIGNALS },
		{ "debug", no_argument, NULL, 'v' },
		{ "split-string", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	size_t used = 0;
	int c, splits = 0, rc;

	optind = 0; /* a fresh scan */
	opterr = 0;
	while ((c = getopt_long(argc, ec->args, "+C:iS:u:v0", longs, NULL)) != -1) {
		switch (c) {
		case 'i':
			snprintf(ec->removes, sizeof(ec->removes), "-i");
			return 0;
		case 'u':
			if (removes_preload(optarg)) {
				snprintf(ec->removes, sizeof(ec->removes), "-u %s", optarg);
				return 0;
			}
			break;
		case 'C':
			ec->chdir = optarg;
			break;
		case 'S':
			if (++splits > 64)
				return -EINVAL;
			rc = resplit(ec, &argc, optind, optarg, &used);
			if (rc)
				return rc;
			optind = 0;
			break;
		case '?': /* env refuses to run: nothing runs */
		case 'h':
		case 'V':
			return 0;
		default:
			break;
		}
	}
	int i = optind;
	if (i < argc && strcmp(ec->args[i], "-") == 0) {
		snprintf(ec->removes, sizeof(ec->removes), "-");
		return 0;
	}
	for (; i < argc && strchr(ec->args[i], '='); i++) {
		const char *a = ec->args[i];
		size_t name = (size_t)(strchr(a, '=') - a);
		if ((name == 10 && strncmp(a, "LD_PRELOAD", 10) == 0) ||
		    (name == strlen(DM_EXEC_SETTINGS_ENV) && strncmp(a, DM_EXEC_SETTINGS_ENV, name) == 0)) {
			snprintf(ec->removes, sizeof(ec->removes), "%.*s=...", (int)name, a);
			return 0;
		}
		if (name == 4 && strncmp(a, "PATH", 4) == 0)
			ec->path = a + 5;
	}
	ec->argv = i < argc ? &ec->args[i] : NULL;
	return 0;
}

int env_command_parse(char *const *args, int n, struct env_command *ec)
{
	int saved_optind = optind, saved_opterr = opterr, saved_optopt = optopt, rc;
	char *saved_optarg = optarg;

	ec->argv = NULL;
	ec->path = ec->chdir = NULL;
	ec->removes[0] = '\0';
	if (n < 0 || n + 1 >= ENV_MAX_ARGS)
		return -E2BIG;
	ec->args[0] = (char *)"env";
	memcpy(ec->args + 1, args, (size_t)n * sizeof(*args));
	ec->args[n + 1] = NULL;
	rc = parse(ec, n + 1);
	optind = saved_optind;
	opterr = saved_opterr;
	optopt = saved_optopt;
	optarg = saved_optarg;
	return rc;
}
