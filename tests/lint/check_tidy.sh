#!/usr/bin/env bash
# Runs clang-tidy (the checked-in .clang-tidy, STYLE.md 10.2: every warning is an error) over each
# source file in src/, JOBS at a time, with BUILD_DIR's compile_commands.json. Headers in src/ are
# checked through the files that include them (HeaderFilterRegex). Each file counts as one test:
# ends with `tidy: N passed, N failed` (read by tests/summarize.py --plain) and exits 1 on any
# finding. src/ (41 files) took 137 s with JOBS=2 on the 2-core machine, ~4 min when it is busy.
# Usage: check_tidy.sh SOURCE_ROOT BUILD_DIR [FILE...]
set -uo pipefail
root=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
cd "$root"
JOBS=${JOBS:-2}
CLANG_TIDY=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy)}
if [ ! -f "$build/compile_commands.json" ]; then
  echo "check_tidy: no $build/compile_commands.json (run meson setup first)" >&2
  echo "tidy: 0 passed, 1 failed"
  exit 1
fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cc' 2>/dev/null || find src -name '*.cc' | sort)
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export CLANG_TIDY build logs
tidy_one() {
  local log
  log="$logs/$(echo "$1" | tr / _).log"
  if "$CLANG_TIDY" -p "$build" --quiet "$1" >"$log" 2>&1; then
    echo "ok $1"
  else
    echo "FAIL $1"
  fi
}
export -f tidy_one
start=$SECONDS
printf '%s\n' "${files[@]}" | xargs -P "$JOBS" -I{} bash -c 'tidy_one "$1"' _ {} >"$logs/results"
passed=$(grep -c '^ok ' "$logs/results")
failed=$(grep -c '^FAIL ' "$logs/results")
for f in $(sed -n 's/^FAIL //p' "$logs/results"); do
  echo "=== clang-tidy: $f"
  grep -v ' warnings\? generated\.$' "$logs/$(echo "$f" | tr / _).log"
done
missing=$(( ${#files[@]} - passed - failed ))
failed=$(( failed + missing ))  # a file xargs never reported on counts as failed
echo "check_tidy: ${#files[@]} files, $(( SECONDS - start )) s with JOBS=$JOBS"
echo "tidy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
