#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The long form of the DT-007 end-to-end suite: RUNS runs of every case and
# the table of the results (also written to docs/dt007-results-table.md).
# Usage: scripts/dt007-long.sh [RUNS]   (default 20; about 35 s per run)
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
scripts/build.sh
exec tests/e2e/dt007.sh --dm build/cli/duende-mlock --preload "$PWD/build/preload/libduende-mlock-preload.so" \
	--blockd build/examples/blockd --pressure build/tests/e2e/pressure \
	--runs "${1:-20}" --table docs/dt007-results-table.md
