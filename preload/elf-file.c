/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "elf-file.h"
#include "exec-settings.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool read_at(const struct elf_file *e, void *buf, size_t len, uint64_t at)
{
	return at <= (uint64_t)e->size && len <= (uint64_t)e->size - at &&
	       pread(e->fd, buf, len, (off_t)at) == (ssize_t)len;
}

int elf_open(int fd, struct elf_file *e)
{
	unsigned char head[sizeof(Elf64_Ehdr)];
	struct stat st;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	if (fstat(fd, &st) != 0)
		return -1;
	e->size = st.st_size;
	if (!read_at(e, head, sizeof(Elf32_Ehdr), 0) || memcmp(head, ELFMAG, SELFMAG) != 0)
		return -1;
	e->elf_class = head[EI_CLASS];
	if (e->elf_class == ELFCLASS64 && read_at(e, head, sizeof(Elf64_Ehdr), 0)) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
		e->type = eh->e_type;
		e->machine = eh->e_machine;
		e->phoff = eh->e_phoff;
		e->phnum = eh->e_phnum;
		e->phentsize = eh->e_phentsize;
		return e->phentsize >= sizeof(Elf64_Phdr) || !e->phnum ? 0 : -1;
	}
	if (e->elf_class == ELFCLASS32) {
		const Elf32_Ehdr *eh = (const Elf32_Ehdr *)head;
		e->type = eh->e_type;
		e->machine = eh->e_machine;
		e->phoff = eh->e_phoff;
		e->phnum = eh->e_phnum;
		e->phentsize = eh->e_phentsize;
		return e->phentsize >= sizeof(Elf32_Phdr) || !e->phnum ? 0 : -1;
	}
	return -1;
}

int elf_segment(const struct elf_file *e, uint16_t i, struct elf_segment *out)
{
	uint64_t at = e->phoff + (uint64_t)i * e->phentsize;

	if (i >= e->phnum)
		return -1;
	if (e->elf_class == ELFCLASS64) {
		Elf64_Phdr ph;
		if (!read_at(e, &ph, sizeof(ph), at))
			return -1;
		*out = (struct elf_segment){ ph.p_type, ph.p_offset, ph.p_filesz };
	} else {
		Elf32_Phdr ph;
		if (!read_at(e, &ph, sizeof(ph), at))
			return -1;
		*out = (struct elf_segment){ ph.p_type, ph.p_offset, ph.p_filesz };
	}
	return 0;
}

int elf_interp(const struct elf_file *e, char *buf, size_t cap)
{
	struct elf_segment s;

	buf[0] = '\0';
	for (uint16_t i = 0; i < e->phnum; i++) {
		if (elf_segment(e, i, &s) != 0)
			return -1;
		if (s.type != PT_INTERP)
			continue;
		if (s.filesz < 2 || s.filesz > cap || !read_at(e, buf, (size_t)s.filesz, s.offset) ||
		    buf[s.filesz - 1] != '\0') {
			buf[0] = '\0';
			return -1;
		}
		return 0;
	}
	return 0;
}

/* The value of tag in the dynamic segment s, 0 when absent. */
static uint64_t dynamic_value(const struct elf_file *e, const struct elf_segment *s, int64_t tag)
{
	size_t entry = e->elf_class == ELFCLASS64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);

	for (uint64_t at = 0; at + entry <= s->filesz; at += entry) {
		int64_t t;
		uint64_t v;
		if (e->elf_class == ELFCLASS64) {
			Elf64_Dyn d;
			if (!read_at(e, &d, sizeof(d), s->offset + at))
				return 0;
			t = d.d_tag;
			v = d.d_un.d_val;
		} else {
			Elf32_Dyn d;
			if (!read_at(e, &d, sizeof(d), s->offset + at))
				return 0;
			t = d.d_tag;
			v = d.d_un.d_val;
		}
		if (t == DT_NULL)
			return 0;
		if (t == tag)
			return v;
	}
	return 0;
}

uint64_t elf_flags_1(const struct elf_file *e)
{
	struct elf_segment s;

	for (uint16_t i = 0; i < e->phnum; i++)
		if (elf_segment(e, i, &s) == 0 && s.type == PT_DYNAMIC)
			return dynamic_value(e, &s, DT_FLAGS_1);
	return 0;
}

bool elf_complete(const struct elf_file *e)
{
	struct elf_segment s;

	if (e->phoff > (uint64_t)e->size ||
	    (uint64_t)e->phnum * e->phentsize > (uint64_t)e->size - e->phoff)
		return false;
	for (uint16_t i = 0; i < e->phnum; i++) {
		if (elf_segment(e, i, &s) != 0)
			return false;
		if (s.offset > (uint64_t)e->size || s.filesz > (uint64_t)e->size - s.offset)
			return false;
	}
	return true;
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~(uint64_t)3;
}

bool elf_note(const struct elf_file *e, const char *name, uint32_t type, void *desc, size_t len)
{
	size_t nlen = strlen(name) + 1;
	struct elf_segment s;

	for (uint16_t i = 0; i < e->phnum; i++) {
		if (elf_segment(e, i, &s) != 0 || s.type != PT_NOTE)
			continue;
		for (uint64_t at = 0; at + 12 <= s.filesz;) {
			uint32_t nh[3]; /* namesz, descsz, type: the same in both classes */
			char nbuf[64];
			if (!read_at(e, nh, sizeof(nh), s.offset + at))
				break;
			uint64_t name_at = at + 12, desc_at = name_at + align4(nh[0]);
			if (nh[0] == nlen && nh[2] == type && nh[1] == len && nlen <= sizeof(nbuf) &&
			    read_at(e, nbuf, nlen, s.offset + name_at) && memcmp(nbuf, name, nlen) == 0)
				return read_at(e, desc, len, s.offset + desc_at);
			at = desc_at + align4(nh[1]);
		}
	}
	return false;
}

bool elf_is_shim(const struct elf_file *e, struct dm_shim_note *note)
{
	struct dm_shim_note n;

	if (!elf_note(e, DM_SHIM_NOTE_NAME, DM_SHIM_NOTE_TYPE, &n, sizeof(n)))
		return false;
	if (note)
		*note = n;
	return true;
}

bool elf_path_is_shim(const char *path, struct dm_shim_note *note)
{
	struct elf_file e;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool is;

	if (fd < 0)
		return false;
	is = elf_open(fd, &e) == 0 && elf_is_shim(&e, note);
	close(fd);
	return is;
}
