/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Will the loader load the preload library into PROGRAM? Resolves PROGRAM
 * as execvp would, follows #! interpreters to the image that the loader
 * starts, and checks that image and the library against each other. */
#ifndef DM_CLI_PROGRAM_H
#define DM_CLI_PROGRAM_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The ELF image the loader runs and preloads into. */
struct elf_image {
	unsigned char elf_class; /* ELFCLASS32 / ELFCLASS64 */
	uint16_t machine;
	char interp[PATH_MAX]; /* the dynamic loader that will run it */
	char file[PATH_MAX];   /* the ELF file itself (a #! script's interpreter) */
};

struct program_check {
	char path[PATH_MAX];
	struct elf_image image; /* PROGRAM's, or its #! interpreter's */
	char runs[PATH_MAX];     /* the file the kernel runs: path, or its interpreter */
	/* The arguments the kernel puts before PROGRAM's own for that file:
	 * for each #! script, innermost first, the line's argument (if any)
	 * and the script. nprefix strings, each NUL-terminated, in prefix. */
	char prefix[2 * PATH_MAX];
	size_t prefix_used;
	int nprefix;
	char reason[1024]; /* why it cannot be run under the preload, and what to do */
	/* The kernel runs it in secure mode (set-ID, file capabilities): a
	 * tracer without CAP_SYS_PTRACE would make it run without them. */
	bool secure;
};

/* 0 when PROGRAM is a dynamically linked program (or a #! script whose
 * interpreter is one) that the loader will preload into, else one of the
 * exit statuses in cli.h with out->reason filled. */
int check_program(const char *name, struct program_check *out);

/* check_program for argv[0], and when that runs env(1) (itself or as a #!
 * interpreter), for the command env runs in the same process: with
 * everything above and the image out->image set to that command's. A
 * command env would start without the preload (env -i, env -u LD_PRELOAD,
 * an LD_PRELOAD= of its own) is refused with EXIT_REFUSED. */
int check_command(char *const *argv, struct program_check *out);

/* 0 when the loader will load the preload library at shim into the image
 * prog found: a path LD_PRELOAD carries as it is, on a mount that allows
 * executable mappings, a whole ELF shared object that is this project's
 * shim (its note says so), with the settings format this command writes,
 * of the image's class and machine, built for the image's C library. Else
 * EXIT_REFUSED (or EXIT_INTERNAL when shim is unreadable) with reason. */
int check_preload(const char *shim, const struct program_check *prog, char *reason, size_t len);

/* The preload library exec and doctor use: $DUENDE_MLOCK_PRELOAD when set,
 * else where it is installed. */
const char *preload_library(void);

struct dm_exec_settings;
/* The environment PROGRAM starts with: the shim in front of LD_PRELOAD,
 * and the settings in DUENDE_MLOCK_EXEC. 0 or a negative errno. */
int export_preload(const char *shim, const struct dm_exec_settings *settings);

#endif
