/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* JSON of the command: one writer of a process report, which status and
 * doctor both print, so one process has one set of keys whichever asks.
 * Each function but json_text() writes object members, every one but
 * json_report()'s first preceded by ", "; the caller writes the braces. */
#ifndef DM_CLI_JSON_H
#define DM_CLI_JSON_H

#include "cli.h"
#include "duende-mlock.h"

/* , "key": v */
void json_u64(FILE *f, const char *key, uint64_t v);
/* , "key": v, or null for DUENDE_MLOCK_UNLIMITED (no limit) */
void json_limit(FILE *f, const char *key, uint64_t v);
void json_bool(FILE *f, const char *key, bool v);
/* "text", escaped as put_json_string() does; null for NULL (a name the
 * library does not know). */
void json_text(FILE *f, const char *text);
/* , "key": json_text(text) */
void json_string(FILE *f, const char *key, const char *text);

/* The members of report r, from "pid" on: figures (what is pinned first,
 * then the locked address space), verdicts by their library names and as
 * booleans, limits, threads; only what the report could read. swaps (NULL:
 * none read) gives "serves", the swap devices r's process serves. */
void json_report(FILE *f, const struct duende_mlock_report *r, const struct duende_mlock_swaps *swaps);

#endif
