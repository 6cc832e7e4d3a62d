/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The command line's argument handling: sizes, numbers, PIDs, the
 * settings the command hands to the preload shim (parse, format, parse
 * again must give the same settings), and env(1)'s arguments as exec
 * follows them (the input split at newlines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/env-command.h"
#include "preload/exec-settings.h"

const char *cli_name = "duende-mlock";
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void env_args(char *s)
{
	static struct env_command ec;
	char *args[64];
	int n = 0;

	for (char *p = strtok(s, "\n"); p && n < 64; p = strtok(NULL, "\n"))
		args[n++] = p;
	if (env_command_parse(args, n, &ec) == 0 && ec.argv) {
		for (char **a = ec.argv; *a; a++)
			if (strlen(*a) > 4 * 4096)
				__builtin_trap();
		if (ec.removes[0] && ec.argv)
			__builtin_trap(); /* a refusal names no command */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t v;
	long l;
	pid_t pid;
	struct dm_exec_settings a, b;
	char text[512];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)parse_size(s, true, &v);
	(void)parse_int(s, -1000, 1000, &l);
	if (parse_pid(s, &pid) && pid < 1)
		__builtin_trap();
	if (dm_exec_settings_parse(s, &a, NULL) == 0) {
		int n = dm_exec_settings_format(&a, text, sizeof(text));
		if (n < 0 || (size_t)n >= sizeof(text) || dm_exec_settings_parse(text, &b, NULL) != 0 ||
		    memcmp(&a, &b, sizeof(a)) != 0)
			__builtin_trap();
	}
	env_args(s);
	free(s);
	return 0;
}
