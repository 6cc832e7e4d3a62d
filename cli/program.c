/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE
#include "program.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli-config.h"
#include "elf-file.h"
#include "exec-settings.h"

/* The kernel follows at most this many #! interpreters (BINPRM_MAX_RECURSION). */
#define MAX_SCRIPT_DEPTH 4

/* Writes a path into out->path; false (with the reason) when it does not
 * fit, rather than running a cut name. */
static bool set_path(struct program_check *out, const char *dir, size_t dlen, const char *name)
{
	int n = dlen ? snprintf(out->path, sizeof(out->path), "%.*s/%s", (int)dlen, dir, name)
		     : snprintf(out->path, sizeof(out->path), "%s", name);

	if (n < 0 || (size_t)n >= sizeof(out->path)) {
		snprintf(out->reason, sizeof(out->reason), "the path of '%.64s...' is longer than "
			 "%d bytes (ENAMETOOLONG)", name, PATH_MAX - 1);
		return false;
	}
	return true;
}

static int resolve(const char *name, struct program_check *out)
{
	const char *path = getenv("PATH");
	bool seen_eacces = false;

	if (strchr(name, '/'))
		return set_path(out, NULL, 0, name) ? 0 : EXIT_NOT_FOUND;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		struct stat st;

		if (set_path(out, n ? p : ".", n ? n : 1, name) && stat(out->path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (access(out->path, X_OK) == 0)
				return 0;
			seen_eacces = true;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	snprintf(out->reason, sizeof(out->reason),
		 seen_eacces ? "'%s' is on PATH but not executable" : "'%s' not found on PATH",
		 name);
	return seen_eacces ? EXIT_NOT_EXECUTABLE : EXIT_NOT_FOUND;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int check_elf(struct elf_file *e, struct program_check *out)
{
	out->image.elf_class = e->elf_class;
	out->image.machine = e->machine;
	if (elf_interp(e, out->image.interp, sizeof(out->image.interp)) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: unreadable ELF headers", out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (out->image.interp[0])
		return 0;
	/* A shared object run as a program without a loader of its own is
	 * the loader itself (ld.so PROGRAM), which honours LD_PRELOAD; a
	 * static-pie or static program never runs a loader. */
	if (e->type == ET_DYN && !(elf_flags_1(e) & DF_1_PIE)) {
		snprintf(out->image.interp, sizeof(out->image.interp), "%s", out->path);
		return 0;
	}
	snprintf(out->reason, sizeof(out->reason),
		 "%s is statically linked: no dynamic loader runs, so no preload library "
		 "can lock it. Link the daemon with libduende-mlock and call "
		 "duende_mlock_lock_all() at start, or use a dynamically linked build",
		 out->path);
	return EXIT_REFUSED;
}

static int check_file(struct program_check *out, int depth);

static int check_script(const unsigned char *head, size_t len, struct program_check *out, int depth)
{
	char interp[PATH_MAX], dir[PATH_MAX];
	size_t i = 2, n = 0;

	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	while (i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && n + 1 < sizeof(interp))
		interp[n++] = (char)head[i++];
	interp[n] = '\0';
	if (!n) {
		snprintf(out->reason, sizeof(out->reason), "%s: its #! line names no interpreter",
			 out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (depth >= MAX_SCRIPT_DEPTH) {
		snprintf(out->reason, sizeof(out->reason), "%s: more nested #! interpreters than "
			 "the kernel follows (%d)", out->path, MAX_SCRIPT_DEPTH);
		return EXIT_NOT_EXECUTABLE;
	}
	/* The preload lands in the interpreter: check that one instead. The
	 * kernel takes a relative interpreter from the current directory. */
	struct program_check *inner = calloc(1, sizeof(*inner));
	if (!inner) {
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return EXIT_INTERNAL;
	}
	int rc = 0;
	if (interp[0] == '/' || !getcwd(dir, sizeof(dir)))
		rc = set_path(inner, NULL, 0, interp) ? 0 : EXIT_NOT_EXECUTABLE;
	else
		rc = set_path(inner, dir, strlen(dir), interp) ? 0 : EXIT_NOT_EXECUTABLE;
	if (!rc)
		rc = check_file(inner, depth + 1);
	if (rc)
		snprintf(out->reason, sizeof(out->reason), "%s runs %s: %s", out->path, interp,
			 inner->reason);
	out->image = inner->image;
	/* The kernel passes the rest of the #! line as one argument. */
	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	n = strcspn((const char *)head + i, "\n");
	n = i + n > len ? len - i : n;
	while (n && (head[i + n - 1] == ' ' || head[i + n - 1] == '\t' || head[i + n - 1] == '\r'))
		n--;
	memcpy(out->runs, inner->runs, sizeof(out->runs));
	snprintf(out->runs_arg, sizeof(out->runs_arg), "%.*s", (int)n, (const char *)head + i);
	free(inner);
	return rc;
}

/* Will the kernel run path in secure mode (AT_SECURE), where the loader
 * ignores LD_PRELOAD? Set-ID bits count unless the mount ignores them or
 * they change nothing for this caller; file capabilities count unless the
 * caller is root, who holds them already. */
static const char *secure_mode_reason(const char *path, const struct stat *st)
{
	struct statvfs vfs;
	bool nosuid = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);

	if (!nosuid && (st->st_mode & S_ISUID) && st->st_uid != geteuid())
		return "set-user-ID";
	if (!nosuid && (st->st_mode & S_ISGID) && st->st_gid != getegid())
		return "set-group-ID";
	if (!nosuid && geteuid() != 0 && getxattr(path, "security.capability", NULL, 0) >= 0)
		return "given file capabilities";
	return NULL;
}

static int check_file(struct program_check *out, int depth)
{
	unsigned char head[512];
	struct statvfs vfs;
	struct elf_file e;
	const char *secure;
	struct stat st;
	ssize_t len;
	int fd, rc;

	if (stat(out->path, &st) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: %s", out->path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
	}
	if (S_ISREG(st.st_mode) && statvfs(out->path, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC)) {
		snprintf(out->reason, sizeof(out->reason), "%s is on a file system mounted noexec: "
			 "the kernel will not run it", out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (!S_ISREG(st.st_mode) || access(out->path, X_OK) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: %s", out->path,
			 S_ISDIR(st.st_mode) ? "is a directory" :
			 !S_ISREG(st.st_mode) ? "not a regular file" : "not executable (chmod +x?)");
		return EXIT_NOT_EXECUTABLE;
	}
	secure = secure_mode_reason(out->path, &st);
	if (secure) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is %s: the loader runs it in secure mode and ignores preload "
			 "libraries. Grant what it needs to the service instead (systemd "
			 "AmbientCapabilities=, User=), run it without the bit or capability, or "
			 "link it with libduende-mlock", out->path, secure);
		return EXIT_REFUSED;
	}
	fd = open(out->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s cannot be read (%s), so whether the loader will preload into it "
			 "cannot be checked; make it readable by this user",
			 out->path, strerror(errno));
		return EXIT_REFUSED;
	}
	len = pread(fd, head, sizeof(head), 0);
	memcpy(out->runs, out->path, sizeof(out->runs));
	if (len >= 4 && memcmp(head, ELFMAG, SELFMAG) == 0) {
		rc = elf_open(fd, &e) == 0 ? check_elf(&e, out) : EXIT_NOT_EXECUTABLE;
		if (rc == EXIT_NOT_EXECUTABLE && !out->reason[0])
			snprintf(out->reason, sizeof(out->reason), "%s: unreadable ELF headers", out->path);
	} else if (len >= 2 && head[0] == '#' && head[1] == '!') {
		rc = check_script(head, (size_t)len, out, depth);
	} else {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is neither an ELF program nor a #! script", out->path);
		rc = EXIT_NOT_EXECUTABLE;
	}
	close(fd);
	return rc;
}

int check_program(const char *name, struct program_check *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!*name) {
		snprintf(out->reason, sizeof(out->reason), "empty program name");
		return EXIT_NOT_FOUND;
	}
	rc = resolve(name, out);
	return rc ? rc : check_file(out, 0);
}

/* ---- env(1): the command it runs in its own process ---- */

#define ENV_MAX_ARGS 256

/* env -S STRING: STRING split at blanks (env's quoting and ${VAR}
 * expansion are not followed: a command named so is checked as written). */
static int split_string(char *text, char **args, int n, int cap)
{
	for (char *p = strtok(text, " \t"); p; p = strtok(NULL, " \t"))
		if (n < cap - 1)
			args[n++] = p;
	return n;
}

/* Is PROGRAM env itself (not a script whose interpreter env is)? */
static bool is_env_itself(const struct program_check *out)
{
	return strcmp(out->runs, out->path) == 0;
}

static int refuse_env(struct program_check *out, const char *what)
{
	char who[PATH_MAX + 32];

	snprintf(who, sizeof(who), is_env_itself(out) ? "env" : "%s runs env, and env", out->path);
	snprintf(out->reason, sizeof(out->reason),
		 "%s %s takes the preload library out of the environment of the command it "
		 "runs, which would then run unlocked; put duende-mlock exec after env and its "
		 "options instead: env %s ... duende-mlock exec -- COMMAND", who, what, what);
	return EXIT_REFUSED;
}

static bool removes_preload(const char *name)
{
	return strcmp(name, "LD_PRELOAD") == 0 || strcmp(name, DM_EXEC_SETTINGS_ENV) == 0;
}

/* args: env's arguments (NULL-terminated); 0 with *command at the command
 * env runs (NULL when none: env then prints the environment), or refused. */
static int env_command(char **args, struct program_check *out, char ***command)
{
	bool options = true; /* env's options end at the first NAME=VALUE */

	*command = NULL;
	for (int i = 0; args[i]; i++) {
		const char *a = args[i];
		if (!options && !strchr(a, '=')) {
			*command = &args[i];
			return 0;
		}
		if (options && strcmp(a, "--") == 0) {
			*command = args[i + 1] ? &args[i + 1] : NULL;
			return 0;
		}
		if (strcmp(a, "-") == 0 || strcmp(a, "-i") == 0 || strcmp(a, "--ignore-environment") == 0 ||
		    (a[0] == '-' && a[1] != '-' && strchr(a, 'i') && !strchr(a, 'u') && !strchr(a, 'C') &&
		     !strchr(a, 'S')))
			return refuse_env(out, a);
		if (strcmp(a, "-u") == 0 || strcmp(a, "--unset") == 0) {
			if (args[i + 1] && removes_preload(args[i + 1]))
				return refuse_env(out, "-u");
			i += args[i + 1] ? 1 : 0;
			continue;
		}
		if ((strncmp(a, "-u", 2) == 0 && removes_preload(a + 2)) ||
		    (strncmp(a, "--unset=", 8) == 0 && removes_preload(a + 8)))
			return refuse_env(out, a);
		if (strcmp(a, "-C") == 0 || strcmp(a, "--chdir") == 0) {
			i += args[i + 1] ? 1 : 0;
			continue;
		}
		if (options && a[0] == '-')
			continue; /* -0, -v, --chdir=, --default-signal[=...], -uNAME, -CDIR, ... */
		if (strchr(a, '=')) {
			if (strncmp(a, "LD_PRELOAD=", 11) == 0 ||
			    strncmp(a, DM_EXEC_SETTINGS_ENV "=", sizeof(DM_EXEC_SETTINGS_ENV)) == 0)
				return refuse_env(out, a);
			options = false;
			continue;
		}
		*command = &args[i];
		return 0;
	}
	return 0;
}

/* env's arguments as env sees them: the #! line's argument and the script
 * when env is a script's interpreter, then PROGRAM's; -S strings split. */
static void env_args(char *const *argv, const struct program_check *out, char *store, size_t cap,
		     char **args)
{
	const char *raw[ENV_MAX_ARGS];
	int nraw = 0, n = 0;
	size_t used = 0;

	if (out->runs_arg[0])
		raw[nraw++] = out->runs_arg;
	if (strcmp(out->runs, out->path) != 0)
		raw[nraw++] = out->path;
	for (int i = 1; argv[i] && nraw < ENV_MAX_ARGS - 1; i++)
		raw[nraw++] = argv[i];
	for (int i = 0; i < nraw && n < ENV_MAX_ARGS - 1; i++) {
		size_t len = strlen(raw[i]) + 1;
		if (used + len > cap)
			break;
		char *copy = memcpy(store + used, raw[i], len);
		used += len;
		if (n && (strcmp(args[n - 1], "-S") == 0 || strcmp(args[n - 1], "--split-string") == 0))
			n = split_string(copy, args, n - 1, ENV_MAX_ARGS);
		else if (strncmp(copy, "-S", 2) == 0 && copy[2])
			n = split_string(copy + 2, args, n, ENV_MAX_ARGS);
		else if (strncmp(copy, "--split-string=", 15) == 0)
			n = split_string(copy + 15, args, n, ENV_MAX_ARGS);
		else
			args[n++] = copy;
	}
	args[n] = NULL;
}

static int check_command_at(char *const *argv, struct program_check *out, int depth);

static int check_env(char *const *argv, struct program_check *out, int depth)
{
	char store[4 * PATH_MAX];
	char *args[ENV_MAX_ARGS], **command;
	struct program_check *inner;
	int rc;

	env_args(argv, out, store, sizeof(store), args);
	rc = env_command(args, out, &command);
	if (rc || !command || depth >= MAX_SCRIPT_DEPTH)
		return rc;
	inner = calloc(1, sizeof(*inner));
	if (!inner) {
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return EXIT_INTERNAL;
	}
	rc = check_command_at(command, inner, depth + 1);
	if (rc && is_env_itself(out))
		snprintf(out->reason, sizeof(out->reason), "env runs %.256s: %s", command[0],
			 inner->reason);
	else if (rc)
		snprintf(out->reason, sizeof(out->reason), "%s runs %.256s through env: %s", out->path,
			 command[0], inner->reason);
	else
		out->image = inner->image;
	free(inner);
	return rc;
}

static int check_command_at(char *const *argv, struct program_check *out, int depth)
{
	int rc = check_program(argv[0], out);

	if (rc || strcmp(base_name(out->runs), "env") != 0)
		return rc;
	return check_env(argv, out, depth);
}

int check_command(char *const *argv, struct program_check *out)
{
	return check_command_at(argv, out, 0);
}

/* The C library a dynamic loader belongs to, by its name. */
static unsigned loader_libc(const char *interp)
{
	const char *name = base_name(interp);

	if (strncmp(name, "ld-musl-", 8) == 0)
		return DM_LIBC_MUSL;
	if (strncmp(name, "ld-uClibc", 9) == 0)
		return DM_LIBC_UCLIBC;
	if (strncmp(name, "ld-linux", 8) == 0 || strncmp(name, "ld64.so.", 8) == 0 ||
	    strncmp(name, "ld.so.", 6) == 0)
		return DM_LIBC_GLIBC;
	return DM_LIBC_UNKNOWN;
}

static const char *libc_name(unsigned libc)
{
	return libc == DM_LIBC_GLIBC ? "glibc" : libc == DM_LIBC_MUSL ? "musl" :
	       libc == DM_LIBC_UCLIBC ? "uClibc" : "an unknown C library";
}

/* What the shim's note says about it, checked against this command and
 * PROGRAM. */
static int check_shim_file(struct elf_file *e, const char *shim, const struct program_check *prog,
			   char *reason, size_t len)
{
	struct dm_shim_note note;
	unsigned want = loader_libc(prog->image.interp);

	if (e->type != ET_DYN || (elf_flags_1(e) & DF_1_PIE)) {
		snprintf(reason, len, "the preload library %s is not an ELF shared object, so the "
			 "loader cannot load it; point DUENDE_MLOCK_PRELOAD at "
			 "libduende-mlock-preload.so", shim);
		return EXIT_REFUSED;
	}
	if (!elf_complete(e)) {
		snprintf(reason, len, "the preload library %s is cut short (a partial install or "
			 "copy?): its segments run past the end of the file, and the loader would "
			 "crash PROGRAM. Reinstall it", shim);
		return EXIT_REFUSED;
	}
	if (e->elf_class != prog->image.elf_class || e->machine != prog->image.machine) {
		snprintf(reason, len, "%s is built for another architecture or word size than the "
			 "preload library %s, so the loader would skip it; use a duende-mlock built "
			 "for that architecture", prog->path, shim);
		return EXIT_REFUSED;
	}
	if (!elf_note(e, DM_SHIM_NOTE_NAME, DM_SHIM_NOTE_TYPE, &note, sizeof(note))) {
		snprintf(reason, len, "%s is not duende-mlock's preload library (it has no "
			 "duende-mlock note): loaded, it would lock nothing. Point "
			 "DUENDE_MLOCK_PRELOAD at libduende-mlock-preload.so", shim);
		return EXIT_REFUSED;
	}
	if (note.settings_version != DM_EXEC_SETTINGS_VERSION) {
		snprintf(reason, len, "the preload library %s comes from another duende-mlock "
			 "(settings format %u, this command writes %u): install both from one "
			 "build", shim, note.settings_version, DM_EXEC_SETTINGS_VERSION);
		return EXIT_REFUSED;
	}
	if (want == DM_LIBC_UNKNOWN || want != note.libc) {
		snprintf(reason, len, "%s runs on the loader %s (%s), but the preload library is "
			 "built for %s: it would fail to load or crash there. Use a duende-mlock "
			 "built for that C library, or link the daemon with libduende-mlock",
			 prog->path, prog->image.interp, libc_name(want), libc_name(note.libc));
		return EXIT_REFUSED;
	}
	return 0;
}

int check_preload(const char *shim, const struct program_check *prog, char *reason, size_t len)
{
	struct statvfs vfs;
	struct elf_file e;
	int fd, rc;

	if (shim[0] != '/') {
		snprintf(reason, len, "preload library %s: not an absolute path; set "
			 "DUENDE_MLOCK_PRELOAD to the absolute path of libduende-mlock-preload.so",
			 shim);
		return EXIT_INTERNAL;
	}
	/* The loader splits LD_PRELOAD at spaces and colons, with no escape,
	 * and expands $ORIGIN, $LIB and $PLATFORM in it. */
	if (strpbrk(shim, " :$")) {
		snprintf(reason, len,
			 "the preload library's path '%s' holds a space, a colon or a '$', which "
			 "LD_PRELOAD splits or expands: the loader would not find it. Install it "
			 "at a path without them (or set DUENDE_MLOCK_PRELOAD to such a copy)", shim);
		return EXIT_REFUSED;
	}
	fd = open(shim, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(reason, len, "preload library %s: %s; install duende-mlock (meson install) "
			 "or set DUENDE_MLOCK_PRELOAD to the absolute path of "
			 "libduende-mlock-preload.so", shim, strerror(errno));
		return EXIT_INTERNAL;
	}
	if (fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC)) {
		snprintf(reason, len,
			 "the preload library %s is on a file system mounted noexec: the loader "
			 "cannot map its code and would skip it. Install it on a mount that allows "
			 "execution (or set DUENDE_MLOCK_PRELOAD to such a copy)", shim);
		rc = EXIT_REFUSED;
	} else if (elf_open(fd, &e) != 0) {
		snprintf(reason, len, "the preload library %s is not an ELF shared object, so the "
			 "loader cannot load it; point DUENDE_MLOCK_PRELOAD at "
			 "libduende-mlock-preload.so", shim);
		rc = EXIT_REFUSED;
	} else {
		rc = check_shim_file(&e, shim, prog, reason, len);
	}
	close(fd);
	return rc;
}

const char *preload_library(void)
{
	const char *shim = getenv("DUENDE_MLOCK_PRELOAD");

	return shim && *shim ? shim : DUENDE_MLOCK_PRELOAD_PATH;
}

int export_preload(const char *shim, const struct dm_exec_settings *settings)
{
	char words[512];
	const char *old = getenv("LD_PRELOAD");
	char *preload;

	if (dm_exec_settings_format(settings, words, sizeof(words)) >= (int)sizeof(words))
		return -ENAMETOOLONG;
	if (setenv(DM_EXEC_SETTINGS_ENV, words, 1) != 0)
		return -errno;
	if (asprintf(&preload, "%s%s%s", shim, old && *old ? ":" : "", old ? old : "") < 0)
		return -ENOMEM;
	int rc = setenv("LD_PRELOAD", preload, 1) ? -errno : 0;
	free(preload);
	return rc;
}
