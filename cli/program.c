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
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_SCRIPT_DEPTH 4

static int resolve(const char *name, struct program_check *out)
{
	const char *path = getenv("PATH");
	bool seen_eacces = false;

	if (strchr(name, '/')) {
		snprintf(out->path, sizeof(out->path), "%s", name);
		return 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		struct stat st;

		snprintf(out->path, sizeof(out->path), "%.*s%s%s", (int)n, n ? p : ".",
			 "/", name);
		if (stat(out->path, &st) == 0 && S_ISREG(st.st_mode)) {
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

static int own_elf_identity(unsigned char *cls, uint16_t *machine)
{
	Elf64_Ehdr eh; /* e_ident and e_machine sit at the same offsets in both classes */
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &eh, sizeof(eh), 0);
	close(fd);
	if (n < (ssize_t)sizeof(Elf32_Ehdr))
		return -1;
	*cls = eh.e_ident[EI_CLASS];
	*machine = eh.e_machine;
	return 0;
}

/* 1 with PT_INTERP, 0 without, -1 unreadable. */
static int has_interp(int fd, const unsigned char *head, size_t len)
{
	uint64_t phoff;
	uint16_t phnum, phentsize;

	if (head[EI_CLASS] == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		phentsize = eh->e_phentsize;
	} else if (head[EI_CLASS] == ELFCLASS32 && len >= sizeof(Elf32_Ehdr)) {
		const Elf32_Ehdr *eh = (const Elf32_Ehdr *)head;
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		phentsize = eh->e_phentsize;
	} else {
		return -1;
	}
	for (uint16_t i = 0; i < phnum; i++) {
		uint32_t type;
		if (pread(fd, &type, sizeof(type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
		    (ssize_t)sizeof(type))
			return -1;
		if (type == PT_INTERP)
			return 1;
	}
	return 0;
}

static int check_elf(int fd, const unsigned char *head, size_t len, struct program_check *out)
{
	unsigned char cls;
	uint16_t machine;
	int interp;

	if (len < sizeof(Elf32_Ehdr)) {
		snprintf(out->reason, sizeof(out->reason), "%s: truncated ELF file", out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (own_elf_identity(&cls, &machine) == 0 &&
	    (head[EI_CLASS] != cls || ((const Elf32_Ehdr *)head)->e_machine != machine)) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is built for another architecture or word size than this "
			 "duende-mlock, so the loader would skip its preload library; use a "
			 "duende-mlock built for that architecture",
			 out->path);
		return EXIT_REFUSED;
	}
	interp = has_interp(fd, head, len);
	if (interp < 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: unreadable ELF program headers",
			 out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (!interp) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is statically linked: no dynamic loader runs, so no preload library "
			 "can lock it. Link the daemon with libduende-mlock and call "
			 "duende_mlock_lock_all() at start, or use a dynamically linked build",
			 out->path);
		return EXIT_REFUSED;
	}
	return 0;
}

static int check_file(struct program_check *out, int depth);

static int check_script(const unsigned char *head, size_t len, struct program_check *out, int depth)
{
	char interp[PATH_MAX];
	size_t i = 2, n = 0;

	while (i < len && (head[i] == ' ' || head[i] == '\t'))
		i++;
	while (i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && n + 1 < sizeof(interp))
		interp[n++] = (char)head[i++];
	interp[n] = '\0';
	if (!n || interp[0] != '/') {
		snprintf(out->reason, sizeof(out->reason), "%s: bad #! line", out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	if (depth >= MAX_SCRIPT_DEPTH) {
		snprintf(out->reason, sizeof(out->reason), "%s: too many nested #! interpreters",
			 out->path);
		return EXIT_NOT_EXECUTABLE;
	}
	/* The preload lands in the interpreter: check that one instead. */
	struct program_check inner;
	snprintf(inner.path, sizeof(inner.path), "%s", interp);
	int rc = check_file(&inner, depth + 1);
	if (rc)
		snprintf(out->reason, sizeof(out->reason), "%s runs %s: %s", out->path, interp,
			 inner.reason);
	return rc;
}

static int check_file(struct program_check *out, int depth)
{
	unsigned char head[512];
	struct stat st;
	ssize_t len;
	int fd, rc;

	if (stat(out->path, &st) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: %s", out->path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
	}
	if (!S_ISREG(st.st_mode) || access(out->path, X_OK) != 0) {
		snprintf(out->reason, sizeof(out->reason), "%s: %s", out->path,
			 S_ISDIR(st.st_mode) ? "is a directory" :
			 !S_ISREG(st.st_mode) ? "not a regular file" : "not executable (chmod +x?)");
		return EXIT_NOT_EXECUTABLE;
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s is set-%s-ID: the loader runs it in secure mode and ignores preload "
			 "libraries. Run it without the bit under a user that holds CAP_IPC_LOCK, "
			 "or link it with libduende-mlock",
			 out->path, (st.st_mode & S_ISUID) ? "user" : "group");
		return EXIT_REFUSED;
	}
	if (getxattr(out->path, "security.capability", NULL, 0) >= 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "%s has file capabilities: the loader runs it in secure mode and ignores "
			 "preload libraries. Grant the capabilities to the service instead "
			 "(systemd AmbientCapabilities=) and remove them from the file (setcap -r), "
			 "or link it with libduende-mlock",
			 out->path);
		return EXIT_REFUSED;
	}
	fd = open(out->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* execute-only files: the loader can still run them */
		return 0;
	}
	len = pread(fd, head, sizeof(head), 0);
	if (len >= 4 && memcmp(head, ELFMAG, SELFMAG) == 0)
		rc = check_elf(fd, head, (size_t)len, out);
	else if (len >= 2 && head[0] == '#' && head[1] == '!')
		rc = check_script(head, (size_t)len, out, depth);
	else {
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
