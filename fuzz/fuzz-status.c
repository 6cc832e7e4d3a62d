/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <stdint.h>
#include <string.h>

#include "src/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_proc_status st;

	dm_status_init(&st);
	dm_status_parse(&st, (const char *)data, size);
	/* The name is always terminated within its buffer. */
	if (memchr(st.name, '\0', sizeof(st.name)) == NULL)
		__builtin_trap();
	if ((st.present & st.malformed) != 0)
		__builtin_trap();
	return 0;
}
