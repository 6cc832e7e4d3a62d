#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The one way the shell tests and the DT-007 rig wait for something to
# happen. Sourced, not run.

# poll SECONDS COMMAND...: true once COMMAND succeeds, tried every 0.1 s;
# false once SECONDS (whole seconds, at least that long) have passed. By the
# clock, not by a count of tries: under emulation each try takes longer.
poll() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS <= end)) || return 1
		sleep 0.1
	done
}
