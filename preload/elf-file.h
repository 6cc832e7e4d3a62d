/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Just enough ELF to know what the loader will do with a file: its class,
 * machine and type, its program headers, its dynamic loader (PT_INTERP),
 * its dynamic flags and its notes. 32- and 64-bit files alike. exec reads
 * PROGRAM and the shim with it; the shim knows its own copies by it. */
#ifndef DM_ELF_FILE_H
#define DM_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct elf_file {
	int fd;
	off_t size;
	unsigned char elf_class; /* ELFCLASS32 / ELFCLASS64 */
	uint16_t type;           /* ET_EXEC, ET_DYN, ... */
	uint16_t machine;
	uint64_t phoff;
	uint16_t phnum, phentsize;
};

struct elf_segment {
	uint32_t type;
	uint64_t offset, filesz;
};

/* Reads the header of the ELF file open at fd: 0, or -1 when it is not
 * one this can read (then nothing else may be asked). */
int elf_open(int fd, struct elf_file *e);
/* Program header i: 0 or -1. */
int elf_segment(const struct elf_file *e, uint16_t i, struct elf_segment *out);
/* PT_INTERP into buf ("" when there is none): 0, or -1 when unreadable. */
int elf_interp(const struct elf_file *e, char *buf, size_t cap);
/* DT_FLAGS_1 of the dynamic section (0 without one). */
uint64_t elf_flags_1(const struct elf_file *e);
/* Every segment lies within the file (a truncated file does not). */
bool elf_complete(const struct elf_file *e);
/* Copies the descriptor of the first note named name of the given type
 * into desc (len bytes exactly): true when found. */
bool elf_note(const struct elf_file *e, const char *name, uint32_t type, void *desc, size_t len);

struct dm_shim_note;
/* The one rule for "is this file duende-mlock's preload shim": it carries
 * the shim's ELF note (exec-settings.h), whatever its name. *note (may be
 * NULL) receives the note's settings version and C library. */
bool elf_is_shim(const struct elf_file *e, struct dm_shim_note *note);
/* The same for the file at path; false when it cannot be read. */
bool elf_path_is_shim(const char *path, struct dm_shim_note *note);

#endif
