#!/usr/bin/env bash
# A short libFuzzer run: new inputs go to a temp dir, the committed corpus
# is only read. A crash leaves its reproducer in the build dir and fails.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=${3:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$(pwd)/" "$work" "$corpus"
