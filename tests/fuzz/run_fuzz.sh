#!/usr/bin/env bash
# Runs one libFuzzer target for $FUZZ_SECONDS (default 30) on a temporary copy of its seeds, so the
# repository is never modified. Any crash or invariant trap makes libFuzzer exit non-zero.
set -euo pipefail
exe=$1 dict=$2 seeds=$3
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$seeds"/* "$corpus"/
# -error_exitcode: libFuzzer's default (77) is what meson reads as "skipped".
# -artifact_prefix: crash inputs go to the temporary dir; the log shows them in base64.
rc=0
"$exe" -max_total_time="${FUZZ_SECONDS:-30}" -dict="$dict" -max_len=8192 -rss_limit_mb=2048 \
  -error_exitcode=1 -artifact_prefix="$corpus/" -print_final_stats=1 "$corpus" \
  >"$corpus/log" 2>&1 || rc=$?
tail -40 "$corpus/log"
exit "$rc"
