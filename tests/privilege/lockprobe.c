/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A small program for the privilege matrix: locks as told by its options
 * (run under setpriv/prlimit/unshare by the test script) and prints what
 * the library answered, one key=value per line. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "duende-mlock.h"

static bool flag_arg(const char *s)
{
	return s[0] == '1' || s[0] == 'y';
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "current", required_argument, NULL, 'c' },
		{ "future", required_argument, NULL, 'f' },
		{ "required", required_argument, NULL, 'r' },
		{ "onfault", no_argument, NULL, 'o' },
		{ "lean", no_argument, NULL, 'l' },
		{ "min-headroom", required_argument, NULL, 'm' },
		{ "query-only", no_argument, NULL, 'q' },
		{ 0, 0, 0, 0 },
	};
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	bool query_only = false;
	char text[2048];
	size_t bytes = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg.current = flag_arg(optarg); break;
		case 'f': cfg.future = flag_arg(optarg); break;
		case 'r': cfg.required = flag_arg(optarg); break;
		case 'o': cfg.onfault = true; break;
		case 'l': cfg.lean = true; break;
		case 'm': cfg.min_headroom = strtoull(optarg, NULL, 0); break;
		case 'q': query_only = true; break;
		default: return 2;
		}
	}
	rc = duende_mlock_read_locked_bytes(&bytes);
	printf("read_locked_bytes=%d\n", rc);
	if (query_only) {
		printf("is_locked=%d\nlocked_bytes=%zu\n", duende_mlock_is_locked(),
		       duende_mlock_locked_bytes());
		return 0;
	}
	rc = duende_mlock_lock_with_config(&cfg, &st);
	printf("rc=%d\n", rc);
	duende_mlock_status_format(&st, text, sizeof(text));
	printf("status=%s\n", text);
	printf("flags=0x%x\n", st.flags);
	if (st.headroom_bytes == DUENDE_MLOCK_UNLIMITED)
		printf("headroom=unlimited\n");
	else
		printf("headroom=%" PRIu64 "\n", st.headroom_bytes);
	printf("is_locked=%d\n", duende_mlock_is_locked());
	duende_mlock_explain(&st, text, sizeof(text));
	printf("explain=%s\n", text);
	if (rc)
		printf("strerror=%s\n", duende_mlock_strerror(rc));
	return 0;
}
