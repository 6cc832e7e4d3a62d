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
#include "env-command.h"
#include "exec-settings.h"

/* The kernel follows at most this many #! interpreters (BINPRM_MAX_RECURSION). */
#define MAX_SCRIPT_DEPTH 4
/* The kernel reads a #! line from a buffer of this size. */
#define BINPRM_BUF_SIZE 256
/* How many env(1) in a row are followed before giving up (refused). */
#define MAX_ENV_DEPTH 8

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

/* name as execvp finds it on path (NULL: this PATH), from dir when it is
 * a relative path (NULL: the current directory). */
static int resolve(const char *name, const char *path, const char *dir, struct program_check *out)
{
	bool seen_eacces = false;

	if (!path)
		path = getenv("PATH");
	if (strchr(name, '/') && dir && name[0] != '/')
		return set_path(out, dir, strlen(dir), name) ? 0 : EXIT_NOT_FOUND;
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
	memcpy(out->image.file, out->path, sizeof(out->image.file));
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

static bool add_prefix(struct program_check *out, const char *arg, size_t n)
{
	if (out->prefix_used + n + 1 > sizeof(out->prefix))
		return false;
	memcpy(out->prefix + out->prefix_used, arg, n);
	out->prefix[out->prefix_used + n] = '\0';
	out->prefix_used += n + 1;
	out->nprefix++;
	return true;
}

/* The #! line as the kernel reads it (fs/binfmt_script.c): from its
 * 256-byte buffer, up to the newline or, without one, its 255th byte;
 * trailing blanks dropped. */
static size_t script_line_length(const unsigned char *head, size_t len)
{
	size_t n = len < BINPRM_BUF_SIZE ? len : BINPRM_BUF_SIZE;
	const unsigned char *nl = memchr(head, '\n', n);

	n = nl ? (size_t)(nl - head) : (n < BINPRM_BUF_SIZE - 1 ? n : BINPRM_BUF_SIZE - 1);
	while (n > 2 && (head[n - 1] == ' ' || head[n - 1] == '\t'))
		n--;
	return n;
}

static int check_script(const unsigned char *head, size_t len, struct program_check *out, int depth)
{
	char interp[PATH_MAX], dir[PATH_MAX];
	size_t i = 2, n = 0;

	len = script_line_length(head, len);
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
	out->secure |= inner->secure;
	out->image = inner->image;
	/* The interpreter's own prefix, then the rest of the #! line as one
	 * argument (when there is one), then this script. */
	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	memcpy(out->runs, inner->runs, sizeof(out->runs));
	memcpy(out->prefix, inner->prefix, inner->prefix_used);
	out->prefix_used = inner->prefix_used;
	out->nprefix = inner->nprefix;
	if (!rc && ((i < len && !add_prefix(out, (const char *)head + i, len - i)) ||
		    !add_prefix(out, out->path, strlen(out->path)))) {
		snprintf(out->reason, sizeof(out->reason), "%s: its #! chain is too long to check",
			 out->path);
		rc = EXIT_REFUSED;
	}
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
		out->secure = true;
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

static int check_program_in(const char *name, const char *path, const char *dir,
			    struct program_check *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!*name) {
		snprintf(out->reason, sizeof(out->reason), "empty program name");
		return EXIT_NOT_FOUND;
	}
	rc = resolve(name, path, dir, out);
	return rc ? rc : check_file(out, 0);
}

int check_program(const char *name, struct program_check *out)
{
	return check_program_in(name, NULL, NULL, out);
}

/* ---- env(1): the command it runs in its own process ---- */

/* Is the file the kernel runs env, under whatever name it was reached? */
static bool runs_env(const struct program_check *out)
{
	char *real = realpath(out->runs, NULL);
	bool env = strcmp(base_name(real ? real : out->runs), "env") == 0;

	free(real);
	return env;
}

/* Is PROGRAM env itself (not a script whose interpreter env is)? */
static bool is_env_itself(const struct program_check *out)
{
	return out->nprefix == 0;
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

static int check_command_at(char *const *argv, const char *path, const char *dir,
			    struct program_check *out, int depth);

/* env's arguments: the prefix the kernel gives it, then PROGRAM's. */
static int env_arguments(char *const *argv, const struct program_check *out, char **args)
{
	const char *p = out->prefix;
	int n = 0;

	for (int i = 0; i < out->nprefix; i++, p += strlen(p) + 1)
		args[n++] = (char *)p;
	for (int i = 1; argv[i]; i++) {
		if (n >= ENV_MAX_ARGS - 2)
			return -1;
		args[n++] = argv[i];
	}
	args[n] = NULL;
	return n;
}

static int check_env(char *const *argv, struct program_check *out, int depth)
{
	struct env_command *ec = calloc(1, sizeof(*ec));
	struct program_check *inner = calloc(1, sizeof(*inner));
	char *args[ENV_MAX_ARGS];
	int n, rc = 0;

	if (!ec || !inner) {
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		rc = EXIT_INTERNAL;
		goto out;
	}
	n = env_arguments(argv, out, args);
	if (n < 0 || env_command_parse(args, n, ec) != 0 || depth >= MAX_ENV_DEPTH) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s: what env runs cannot be checked (more than %d arguments, an -S string "
			 "env would reject or that uses more than its quoting, escapes and ${VAR}, or "
			 "more than %d env in a row), so the lock cannot be guaranteed; run "
			 "duende-mlock exec -- COMMAND after env instead",
			 out->path, ENV_MAX_ARGS - 2, MAX_ENV_DEPTH);
		rc = EXIT_REFUSED;
	} else if (ec->removes[0]) {
		rc = refuse_env(out, ec->removes);
	} else if (ec->argv) {
		rc = check_command_at(ec->argv, ec->path, ec->chdir, inner, depth + 1);
		out->secure |= inner->secure;
		if (rc && is_env_itself(out))
			snprintf(out->reason, sizeof(out->reason), "env runs %.256s: %s", ec->argv[0],
				 inner->reason);
		else if (rc)
			snprintf(out->reason, sizeof(out->reason), "%s runs %.256s through env: %s",
				 out->path, ec->argv[0], inner->reason);
		else
			out->image = inner->image;
	}
out:
	free(ec);
	free(inner);
	return rc;
}

static int check_command_at(char *const *argv, const char *path, const char *dir,
			    struct program_check *out, int depth)
{
	int rc = check_program_in(argv[0], path, dir, out);

	return rc || !runs_env(out) ? rc : check_env(argv, out, depth);
}

int check_command(char *const *argv, struct program_check *out)
{
	return check_command_at(argv, NULL, NULL, out, 0);
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
	if (!elf_is_shim(e, &note)) {
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
