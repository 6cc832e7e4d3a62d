/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The duende-mlock command: shared helpers of its subcommands. */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The command's own exit statuses (exec passes PROGRAM's through, and
 * DM_EXIT_LOCK_FAILED, 120, when the shim stopped PROGRAM). */
#define EXIT_REFUSED 121     /* preloading cannot work for PROGRAM */
#define EXIT_INTERNAL 125    /* duende-mlock itself could not go on */
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127
#define EXIT_USAGE 64        /* EX_USAGE: 0-2 mean results for doctor */

extern const char *cli_name; /* "duende-mlock" */

int cmd_exec(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

/* Prints "duende-mlock: SUBCOMMAND: message" and a usage hint on stderr,
 * returns EXIT_USAGE. */
int usage_error(const char *sub, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Numbers from the command line: the whole string must be the number. */
bool parse_int(const char *s, long min, long max, long *out);
/* "65536", "64K", "64KiB", "8M", "1G", "unlimited" (-> UINT64_MAX when
 * allow_unlimited). Binary units. */
bool parse_size(const char *s, bool allow_unlimited, uint64_t *out);
bool parse_pid(const char *s, pid_t *out);

/* The library's unit ("8 MiB", "unlimited") into buf; returns buf. */
const char *fmt_bytes(uint64_t bytes, char *buf, size_t len);

/* JSON string and Prometheus label value, escaped. */
void put_json_string(FILE *f, const char *s);
void put_prom_label(FILE *f, const char *s);

#endif
