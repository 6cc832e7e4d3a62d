/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What `duende-mlock exec` asks of the preload shim, carried in one
 * environment variable as words that say where the settings differ from
 * exec's defaults: "lean,oom-score-adj=-900,prefault=262144". The shim
 * owns this format; the command compiles this file to write it.
 */
#ifndef DM_EXEC_SETTINGS_H
#define DM_EXEC_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "duende-mlock.h"

#ifndef DM_ARRAY_SIZE
#define DM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define DM_EXEC_SETTINGS_ENV "DUENDE_MLOCK_EXEC"

/* The exit status of a program whose lock, or another requested step,
 * failed in required mode: its main() never ran. */
#define DM_EXIT_LOCK_FAILED 120

/* The words this shim reads; bumped when a word changes meaning, so that a
 * command and a shim from different builds refuse each other. */
#define DM_EXEC_SETTINGS_VERSION 1u

/* The shim carries an ELF note that names it and its settings format and C
 * library, so that exec can tell it from any other shared object. */
#define DM_SHIM_NOTE_NAME "duende-mlock"
#define DM_SHIM_NOTE_TYPE 1
enum { DM_LIBC_UNKNOWN = 0, DM_LIBC_GLIBC = 1, DM_LIBC_MUSL = 2, DM_LIBC_UCLIBC = 3 };
#if defined(__UCLIBC__)
#define DM_LIBC_BUILT DM_LIBC_UCLIBC
#elif defined(__GLIBC__)
#define DM_LIBC_BUILT DM_LIBC_GLIBC
#elif defined(__linux__)
#define DM_LIBC_BUILT DM_LIBC_MUSL /* musl defines no macro of its own */
#else
#define DM_LIBC_BUILT DM_LIBC_UNKNOWN
#endif
struct dm_shim_note {
	uint32_t settings_version;
	uint32_t libc;
};

struct dm_exec_settings {
	/* The steps the shim runs in PROGRAM before main(), through
	 * duende_mlock_harden(). */
	struct duende_mlock_harden_config harden;
	bool inherit; /* lock every program started below PROGRAM, too */
	bool follow_forks; /* lock forked children before fork() returns */
	bool verbose; /* report each step on stderr */
	/* The process exec started, written by the shim where it first
	 * loads, or by a locked launcher's forked child for the command it
	 * runs; an image in another process is a helper. 0: not yet. */
	pid_t leader;
	/* "probe=FD" (duende-mlock doctor -- PROGRAM): before anything else,
	 * write the size of struct duende_mlock_survey (a uint32_t) and the
	 * survey of PROGRAM to FD, and _exit before main(). 0: no probe. */
	int probe_fd;
};

/* The leader word, always written with DM_LEADER_DIGITS digits (zeros in
 * front), so that a forked child can put its own PID there in place,
 * without allocating: "leader=0000012345". */
#define DM_LEADER_DIGITS 10

/* exec's RLIMIT_MEMLOCK for PROGRAM, soft and hard, when --memlock does
 * not say: unlimited where exec may raise it (CAP_SYS_RESOURCE), so that a
 * PROGRAM that drops root, and CAP_IPC_LOCK with it, stays locked. */
#define DM_EXEC_MEMLOCK_DEFAULT DUENDE_MLOCK_UNLIMITED

/* The largest --prefault-stack: the library's bound. */
#define DM_EXEC_PREFAULT_MAX DUENDE_MLOCK_PREFAULT_STACK_MAX

/* exec's defaults: raise the soft RLIMIT_MEMLOCK, lock current and future
 * pages, required, and lock forked children. */
void dm_exec_settings_init(struct dm_exec_settings *s);
/* Parses text over the defaults: 0, or -EINVAL with *bad_word pointing
 * into text at the offending word. */
int dm_exec_settings_parse(const char *text, struct dm_exec_settings *s, const char **bad_word);
/* The words for s (the empty string for the defaults); snprintf
 * semantics. */
int dm_exec_settings_format(const struct dm_exec_settings *s, char *buf, size_t len);
/* Is this program (its executable's file name) a launcher: a shell or a
 * wrapper that forks for the command it runs (timeout, setsid, su, a
 * container's init)? What a locked launcher runs is the program, not a
 * helper: dash forks even for the last command of sh -c. */
bool dm_is_launcher(const char *file_name);
/* Does this program exec its command in its own process (env, nice,
 * setpriv, chroot, ...)? doctor's probe then waits for that command. */
bool dm_is_exec_wrapper(const char *file_name);
#endif
