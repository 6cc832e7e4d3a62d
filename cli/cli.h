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
#define EXIT_USAGE 64        /* EX_USAGE: 0-3 mean results for doctor */
#define EXIT_IO 74           /* EX_IOERR: the output could not be written */

/* doctor's results: the survey's verdict as an exit status, and with
 * --systemd-unit what systemd-analyze made of the drop-in. They are exit
 * statuses, not severities, though the first numbers agree. */
#define EXIT_DOCTOR_READY 0
#define EXIT_DOCTOR_WARNINGS 1
#define EXIT_DOCTOR_CANNOT_LOCK 2    /* also: no such PID, exec refuses PROGRAM */
#define EXIT_DOCTOR_NOT_APPLICABLE 3 /* a kernel thread, a zombie */
#define EXIT_UNIT_ACCEPTED 0
#define EXIT_UNIT_NOT_CHECKED 1      /* systemd-analyze could not be run */
#define EXIT_UNIT_REJECTED 2

extern const char *cli_name; /* "duende-mlock" */

int cmd_exec(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_guard(int argc, char **argv);

struct duende_mlock_pid_result;
/* ---- lock-check.c ---- */
/* Locked as mlockall locks, checked in its /proc afterwards (status and
 * every mapping in smaps), and every step that must have succeeded did
 * (rc, duende_mlock_lock_pid()'s return; with best_effort a failed
 * IO_FLUSHER or oom_score_adj step is only a warning). *mappings_left:
 * the lock took but some mapping is still unlocked. */
bool lock_pid_verified(const struct duende_mlock_pid_result *r, int rc, bool best_effort,
		       bool *mappings_left);
/* Does this process hold CAP_SYS_PTRACE in its effective set? Without it
 * the kernel runs a traced secure-mode program without its privileges,
 * and another user's (or a more privileged process's) /proc/PID/fd cannot
 * be read. */
bool holds_cap_sys_ptrace(void);
/* The value of --oom-score-adj (of exec, lock and guard) into *score: 0,
 * or the usage error's exit status, said for subcommand sub. */
int parse_oom_score_adj(const char *sub, const char *usage, const char *arg, int *score);

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

/* ---- escape.c: text the command prints ---- */

/* The library's unit ("8 MiB", "unlimited") into buf; returns buf. */
const char *fmt_bytes(uint64_t bytes, char *buf, size_t len);

/* Names from the system are any bytes but NUL. Each output keeps them
 * valid: */
/* a JSON string: valid UTF-8 passes, control characters are \u escapes,
 * bytes that are not UTF-8 become the text "\xNN"; */
void put_json_string(FILE *f, const char *s);
/* a Prometheus label value: valid UTF-8 passes, \\, \" and \n as the
 * format escapes them, other control characters and bytes that are not
 * UTF-8 become the text "\xNN"; */
void put_prom_label(FILE *f, const char *s);
/* text for a terminal: escaped as duende_mlock_escape() does, padded with
 * blanks to width columns (0: no padding). */
void put_text(FILE *f, const char *s, int width);
/* The columns put_text takes for s. */
int text_width(const char *s);
/* Library text (already escaped) on lines, each after indent. */
void put_lines(FILE *f, const char *indent, const char *text);
/* "duende-mlock: SUB: message" on stderr, the message escaped. */
void say(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line on fd (with "duende-mlock: SUB: " when sub is set, escaped), only
 * if it can be written at once: for a command that holds a process
 * stopped meanwhile and must never wait on its reader. Lines not written
 * are counted, and the count said before the next one that is. */
void say_unblocked(int fd, const char *sub, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- output-file.c: where a command writes ---- */

/* Where a command writes: stdout, or FILE replaced atomically (a
 * temporary file in the same directory, fsync, rename), as textfile
 * collectors need: they must never read a half-written file. */
struct output {
	FILE *f;
	char *path;        /* the regular file replaced; NULL: stdout */
	char *tmp;         /* the temporary file, until renamed */
};

/* 0, or prints why on stderr and returns EXIT_IO (EXIT_USAGE when path
 * names something other than a regular file). */
int output_open(struct output *o, const char *sub, const char *path);
/* Flushes and syncs; every write error, the full disk's too, shows here.
 * 0, or prints why and returns EXIT_IO (the old FILE stays as it was). */
int output_close(struct output *o, const char *sub);
/* Exits 0 once what was printed on stdout is written, else 74 with why
 * (a full disk, a closed pipe): never a silent success. */
_Noreturn void exit_printed(const char *sub);

#endif
