/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * libduende-mlock-preload.so: locks an unmodified program before its
 * main() runs, and keeps the process that really serves locked.
 *
 * Memory locks survive neither execve(2) nor fork(2), so:
 *  - The loader runs this constructor in every image that LD_PRELOAD
 *    reaches. The settings name the leader, the process exec started;
 *    every image the leader execs in turn (#!/usr/bin/env, sh -c
 *    'exec ...', env, nice: an exec chain) keeps its PID and is locked
 *    again. The preload therefore stays in the environment.
 *  - A fork handler locks each child forked from a locked image before
 *    fork() returns in it: a daemonized or pre-fork child serves locked.
 *    A locked launcher's child (a shell's, setsid's, su's) also names
 *    itself the leader, so the command it execs is the program, locked.
 *  - An image in any other process is a helper that a child exec'd: it is
 *    left unlocked and the preload leaves its environment, unless the
 *    settings say "inherit", which locks the whole tree.
 * PID reuse can only make a helper that inherits a dead leader's PID lock
 * itself needlessly; it can never leave the daemon unlocked.
 *
 * Settings come from DUENDE_MLOCK_EXEC (see exec-settings.h); without it
 * exec's defaults apply (current + future, required). Every requested step
 * runs here, in PROGRAM, through duende_mlock_harden(). In required mode a
 * failed step ends the program with exit status 120 before main(), and a
 * forked child that cannot be locked ends before fork() returns in it:
 * nothing half-protected runs silently.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "elf-file.h"
#include "exec-settings.h"

/* The note by which exec, and the shim itself, know this file for the
 * shim (exec-settings.h, elf_is_shim()). Its symbol, hidden by shim.map,
 * also tells the library's code linked in here that it runs in the shim
 * (lock-rules.c): one rule, the note, wherever the question is asked. */
struct dm_elf_note {
	uint32_t namesz, descsz, type;
	char name[16]; /* "duende-mlock" and its NUL, padded to 4 */
	struct dm_shim_note desc;
};
__attribute__((section(".note.duende-mlock"), used, aligned(4))) const struct dm_elf_note
	dm_shim_note = { sizeof(DM_SHIM_NOTE_NAME), sizeof(struct dm_shim_note), DM_SHIM_NOTE_TYPE,
			 DM_SHIM_NOTE_NAME, { DM_EXEC_SETTINGS_VERSION, DM_LIBC_BUILT } };

/* An LD_PRELOAD entry that names a copy of the shim: the file it names
 * carries the shim's note. A bare name is looked up by the loader, so it
 * names this very file when it is this file's name. */
static bool is_this_shim(const char *entry, size_t len)
{
	char path[PATH_MAX];
	Dl_info info;

	if (len >= sizeof(path))
		return false;
	memcpy(path, entry, len);
	path[len] = '\0';
	if (!strchr(path, '/') && dladdr((const void *)&dm_shim_note, &info) && info.dli_fname) {
		const char *base = strrchr(info.dli_fname, '/');

		if (strcmp(base ? base + 1 : info.dli_fname, path) != 0 ||
		    strlen(info.dli_fname) >= sizeof(path))
			return false;
		memcpy(path, info.dli_fname, strlen(info.dli_fname) + 1);
	}
	return elf_path_is_shim(path, NULL);
}

/* LD_PRELOAD without this shim; other preloads keep their order. */
static void remove_from_ld_preload(void)
{
	const char *old = getenv("LD_PRELOAD");
	char *out;
	size_t used = 0;

	if (!old)
		return;
	out = malloc(strlen(old) + 1);
	if (!out)
		return;
	for (const char *p = old; *p;) {
		size_t n = strcspn(p, ": ");
		if (n && !is_this_shim(p, n)) {
			if (used)
				out[used++] = ':';
			memcpy(out + used, p, n);
			used += n;
		}
		p += n;
		if (*p)
			p++;
	}
	out[used] = '\0';
	if (used)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(out);
}

/* ---- forked children ---- */

/* The file name of this image's executable ("" when unknown). */
static const char *own_file_name(char *buf, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
	const char *slash;

	if (n <= 0)
		return "";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

/* The program's name as messages show it: any bytes may be in it, and
 * none of them reaches a terminal unescaped. Set first thing. */
static char name_shown[256] = "?";

/* What the fork handler needs, fixed before it can run. */
static struct duende_mlock_config child_lock;

/* A message on stderr built without stdio or malloc: the fork handler
 * runs in the child of a possibly multi-threaded process. */
struct line {
	char buf[2300];
	size_t len;
};

static void put(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(l->buf) - 1 - l->len)
		n = sizeof(l->buf) - 1 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void put_pid(struct line *l)
{
	char digits[16];
	int n = 0;
	unsigned v = (unsigned)getpid();

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(digits));
	while (n && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = digits[--n];
}

static void say(struct line *l)
{
	put(l, "\n");
	(void)!write(STDERR_FILENO, l->buf, l->len);
}

/* A locked launcher (dm_is_launcher: setsid, su, start-stop-daemon, ...)
 * forks for the command it runs. Its forked child names itself the leader
 * in the settings it will pass on, in place, so that the command it execs
 * is locked even when the launcher has exited by then (setsid -f,
 * start-stop-daemon --background), dropped to a user who may not read the
 * launcher's /proc entries (su, runuser), or put the child in a new PID
 * namespace (unshare -f). The digits of the leader word in this image's
 * environment entry, or NULL where this image is no launcher. */
static char *leader_digits;
static const char *settings_entry;

static void find_leader_digits(void)
{
	char exe[PATH_MAX];
	const char *entry, *word;

	if (!dm_is_launcher(own_file_name(exe, sizeof(exe))))
		return;
	for (char **e = environ; e && *e; e++) {
		entry = *e;
		if (strncmp(entry, DM_EXEC_SETTINGS_ENV "=", sizeof(DM_EXEC_SETTINGS_ENV)) != 0)
			continue;
		/* The last leader word: the one the settings parser keeps. */
		for (word = entry + sizeof(DM_EXEC_SETTINGS_ENV); word; word = strchr(word, ',')) {
			word += *word == ',';
			if (strncmp(word, "leader=", 7) == 0) {
				size_t n = strspn(word + 7, "0123456789");
				bool fixed = n == DM_LEADER_DIGITS && (!word[7 + n] || word[7 + n] == ',');
				settings_entry = fixed ? entry : NULL;
				leader_digits = fixed ? (char *)word + 7 : NULL;
			}
		}
		return;
	}
}

/* In the forked child: no malloc, no stdio. The entry is written only if
 * this image's environment still holds it (a launcher that rebuilt its
 * environment passes on what it built). */
static void become_leader(void)
{
	unsigned v = (unsigned)getpid();

	if (!leader_digits)
		return;
	for (char **e = environ; e && *e; e++) {
		if (*e != settings_entry)
			continue;
		for (int i = DM_LEADER_DIGITS - 1; i >= 0; i--, v /= 10)
			leader_digits[i] = (char)('0' + v % 10);
		return;
	}
}

static void lock_forked_child(void)
{
	struct duende_mlock_status st;
	struct line l = { .len = 0 };
	char why[1024];
	int rc = duende_mlock_lock_after_fork(&child_lock, &st);
	bool failed = rc || duende_mlock_status_is_failed(&st);

	if (!rc)
		become_leader();
	if (!failed)
		return;
	duende_mlock_explain(&st, why, sizeof(why));
	put(&l, "duende-mlock: ");
	put(&l, name_shown);
	put(&l, " (pid ");
	put_pid(&l);
	put(&l, rc ? "): forked child cannot lock memory, stopping it: "
		   : "): warning: forked child runs without a memory lock: ");
	put(&l, why);
	say(&l);
	if (rc)
		_exit(DM_EXIT_LOCK_FAILED);
}

/* ---- the constructor ---- */

/* Each line of text on stderr, after "duende-mlock: NAME: " and prefix. */
static void say_lines(const char *text, const char *prefix)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		dprintf(STDERR_FILENO, "duende-mlock: %s: %s%.*s\n", name_shown, prefix, (int)n, text);
		text += n + (text[n] == '\n');
	}
}

/* Preloaded without duende-mlock exec, which names the leader: this first
 * image is it. A program that passes on the environment it started with
 * (bash does) loses this, and then each image below it counts as first
 * and locks: more locking, never less. */
static void record_leader(struct dm_exec_settings *s)
{
	char text[512];

	s->leader = getpid();
	if (dm_exec_settings_format(s, text, sizeof(text)) < (int)sizeof(text))
		setenv(DM_EXEC_SETTINGS_ENV, text, 1);
}

/* The parent is a locked shell or wrapper (dm_is_launcher) waiting for
 * this command: the command is the program it launches, not a helper.
 * Shells need this: they build their commands' environment from their own
 * variables, which become_leader() cannot reach. */
static bool parent_is_locked_launcher(void)
{
	uint64_t parent_locked = 0;
	char link[64], exe[PATH_MAX];
	pid_t ppid = getppid();
	ssize_t n;

	/* An init (a container's tini, a shell as PID 1 of a namespace)
	 * inherits every orphan: a helper whose parent exited is no command
	 * of it. Its own commands name themselves the leader instead. */
	if (ppid <= 1)
		return false;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)ppid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	const char *slash = strrchr(exe, '/');
	return dm_is_launcher(slash ? slash + 1 : exe) &&
	       duende_mlock_read_pid_locked_bytes(ppid, &parent_locked) == 0 && parent_locked > 0;
}

/* duende-mlock doctor -- PROGRAM: the survey of PROGRAM as the lock would
 * find it, handed to the doctor on s->probe_fd; PROGRAM stops before its
 * main(). A program that execs its command in place (env of a
 * #!/usr/bin/env line, nice) passes the probe on to that command. */
static void probe(const struct dm_exec_settings *s)
{
	struct duende_mlock_survey survey;
	uint32_t size = sizeof(survey);
	const char *p = (const char *)&survey;
	size_t left = sizeof(survey);
	char exe[PATH_MAX];

	if (dm_is_exec_wrapper(own_file_name(exe, sizeof(exe))))
		return;
	if (duende_mlock_survey_pid(0, &survey) != 0 || write(s->probe_fd, &size, sizeof(size)) != sizeof(size))
		_exit(DM_EXIT_LOCK_FAILED);
	while (left) {
		ssize_t n = write(s->probe_fd, p, left);
		if (n <= 0 && errno != EINTR)
			_exit(DM_EXIT_LOCK_FAILED);
		if (n > 0) {
			p += n;
			left -= (size_t)n;
		}
	}
	_exit(0);
}

/* Runs the requested steps; the library says whether PROGRAM may go on. */
static void harden_or_stop(const struct dm_exec_settings *s)
{
	struct duende_mlock_harden_result res;
	char text[4096], line[64];
	int rc = duende_mlock_harden(&s->harden, &res);
	bool lock_failed = duende_mlock_status_is_failed(&res.lock_status);

	if (rc == -EINVAL) {
		dprintf(STDERR_FILENO, "duende-mlock: %s: invalid settings\n", name_shown);
		_exit(DM_EXIT_LOCK_FAILED);
	}
	duende_mlock_harden_explain(&res, s->verbose ? DUENDE_MLOCK_EXPLAIN_ALL_STEPS : 0, text,
				    sizeof(text));
	if (rc) {
		say_lines(text, "");
		dprintf(STDERR_FILENO, "duende-mlock: %s: %s, not starting it (use --best-effort to run "
			"it anyway)\n", name_shown,
			lock_failed ? "cannot lock memory" : "a requested step failed");
		_exit(DM_EXIT_LOCK_FAILED);
	}
	say_lines(text, res.failed && !s->verbose ? "warning: " : "");
	if (lock_failed) {
		duende_mlock_status_format(&res.lock_status, line, sizeof(line));
		dprintf(STDERR_FILENO, "duende-mlock: %s: warning: %s, running without a memory lock\n",
			name_shown, line);
	}
}

__attribute__((constructor)) static void duende_mlock_preload(void)
{
	struct dm_exec_settings s;
	const char *env = getenv(DM_EXEC_SETTINGS_ENV);
	const char *text = env ? env : "";
	const char *bad = text;

	duende_mlock_escape(program_invocation_short_name, strlen(program_invocation_short_name),
			    name_shown, sizeof(name_shown));
	if (dm_exec_settings_parse(text, &s, &bad) != 0) {
		char text_shown[512], bad_shown[256];

		duende_mlock_escape(text, strlen(text), text_shown, sizeof(text_shown));
		duende_mlock_escape(bad, strcspn(bad, ","), bad_shown, sizeof(bad_shown));
		dprintf(STDERR_FILENO,
			"duende-mlock: %s: invalid %s=\"%s\" (at \"%s\"); run the program "
			"through `duende-mlock exec`, which sets it\n",
			name_shown, DM_EXEC_SETTINGS_ENV, text_shown, bad_shown);
		_exit(DM_EXIT_LOCK_FAILED);
	}
	if (s.probe_fd) {
		probe(&s);
		return; /* an exec wrapper: the probe waits for its command */
	}
	if (!s.leader)
		record_leader(&s);
	if (!s.inherit && s.leader != getpid() && !parent_is_locked_launcher()) {
		/* A helper exec'd by a forked child: not locked, and what it
		 * runs in turn is not touched either. */
		remove_from_ld_preload();
		unsetenv(DM_EXEC_SETTINGS_ENV);
		return;
	}
	harden_or_stop(&s);
	/* A launcher's children name themselves the leader even under
	 * --no-follow-forks: what a launcher runs is the program. */
	find_leader_digits();
	if (!s.follow_forks && !leader_digits)
		return;
	child_lock = s.harden.lock_config;
	if (pthread_atfork(NULL, NULL, s.follow_forks ? lock_forked_child : become_leader) != 0) {
		dprintf(STDERR_FILENO, "duende-mlock: %s: cannot register the fork handler, so "
			"its forked children would run unlocked%s\n", name_shown,
			s.harden.lock_config.required ? "; not starting it" : "");
		if (s.harden.lock_config.required)
			_exit(DM_EXIT_LOCK_FAILED);
	}
}
