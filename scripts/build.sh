#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Configures (once) and builds the project in build/.
set -eu
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
