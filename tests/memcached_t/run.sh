#!/usr/bin/env bash
# Runs memcached's own test suite (t/*.t at tag 1.6.18) against corecached: issue #11's oracle for
# the command line. Each t/ file starts its own servers through t/lib/MemcachedTest.pm, which runs
# "$builddir/memcached-debug <the test's flags>"; here memcached-debug is a script that runs
# corecached.
#
#   bash tests/memcached_t/run.sh [SOURCE] [FILE.t ...]
#
# SOURCE: a memcached 1.6.18 source tree (with t/ and timedrun.c), or a git directory (bare or
# not) that holds the tag 1.6.18, such as a mirror of github.com/memcached/memcached. Default:
# $MEMCACHED_SRC, else /work/.mirror/memcached+memcached/repo. When none is there (CI cannot
# fetch) the script prints why, the summary "0 passed, 0 failed, 1 skipped", and exits 0.
# FILE.t: run only these files (names as in t/), e.g. `run.sh "" cas.t incrdecr.t`.
# Environment: CORECACHED_BINARY (default build/src/corecached), T_TIMEOUT (seconds per file,
# default 60), KEEP=1 keeps the scratch directory.
#
# Each file is PASS (prove exits 0), SKIP (the file skips itself: a feature neither server has
# built in, such as extstore), or FAIL/TIMEOUT. tests/memcached_t/expected_failures.txt lists
# the files expected to fail, one per line: "<file.t> <category>: <reason>". An unexpected
# failure makes the script exit 1; an expected failure that now passes is reported (XPASS) and
# should be taken off the list. Servers listen on 127.0.0.1 and unix sockets under /tmp only.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC=${1:-${MEMCACHED_SRC:-/work/.mirror/memcached+memcached/repo}}
[ $# -gt 0 ] && shift
ONLY=("$@")
TAG=1.6.18
BIN=${CORECACHED_BINARY:-$ROOT/build/src/corecached}
T_TIMEOUT=${T_TIMEOUT:-60}
EXPECTED=$HERE/expected_failures.txt

skip_all() {
  echo "memcached t/ suite: SKIP: $1"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}

[ -x "$BIN" ] || { echo "corecached binary not found: $BIN (build it, or set CORECACHED_BINARY)" >&2; exit 2; }
for tool in perl prove cc timeout; do
  command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done

WORK=$(mktemp -d /tmp/corecached-memcached-t.XXXXXX)
RUN_TOKEN=$(basename "$WORK")
cleanup() {
  stray_servers TERM
  if [ "${KEEP:-0}" = 1 ]; then echo "scratch directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The servers this run started and the harness left running (a file that timed out; a -d daemon):
# found by the token every child inherits in its environment, stopped by PID.
stray_servers() {
  local sig=$1 pid
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}; pid=${pid%/environ}
    [ "$pid" = $$ ] && continue
    if grep -qzx "CORECACHED_MEMCACHED_T_RUN=$RUN_TOKEN" "$env" 2>/dev/null; then
      kill "-$sig" "$pid" 2>/dev/null
    fi
  done
}

# Extract t/ and timedrun.c from a git directory holding the tag, or copy them from a tree.
if [ -z "$SRC" ] || [ ! -e "$SRC" ]; then
  skip_all "no memcached $TAG source: '$SRC' does not exist (pass a source tree or a git mirror)"
elif git --git-dir="$SRC" rev-parse -q --verify "refs/tags/$TAG" >/dev/null 2>&1; then
  git --git-dir="$SRC" archive "$TAG" t/ timedrun.c doc/protocol.txt | tar -x -C "$WORK" ||
    skip_all "git archive $TAG failed in $SRC"
  echo "memcached t/ from $SRC at tag $TAG"
elif git -C "$SRC" rev-parse -q --verify "refs/tags/$TAG" >/dev/null 2>&1 && [ ! -d "$SRC/t" ]; then
  git -C "$SRC" archive "$TAG" t/ timedrun.c doc/protocol.txt | tar -x -C "$WORK" || skip_all "git archive failed"
  echo "memcached t/ from $SRC at tag $TAG"
elif [ -f "$SRC/t/lib/MemcachedTest.pm" ] && [ -f "$SRC/timedrun.c" ]; then
  cp -r "$SRC/t" "$SRC/timedrun.c" "$WORK/"
  if [ -f "$SRC/doc/protocol.txt" ]; then mkdir -p "$WORK/doc" && cp "$SRC/doc/protocol.txt" "$WORK/doc/"; fi
  version=$(grep -ho "1\.[0-9]*\.[0-9]*" "$SRC/version.m4" 2>/dev/null | head -1)
  echo "memcached t/ from the tree $SRC (version ${version:-unknown}; expected $TAG)"
else
  skip_all "$SRC is neither a memcached source tree (t/lib/MemcachedTest.pm, timedrun.c) nor a git directory with the tag $TAG"
fi

cc -O2 -o "$WORK/timedrun" "$WORK/timedrun.c" || { echo "cannot compile timedrun.c" >&2; exit 2; }
# memcached-debug: corecached, minus the "-o relaxed_privileges" MemcachedTest.pm adds to every
# command line. That option exists only in memcached's debug build (it loosens its seccomp
# filter); Debian's memcached refuses it as corecached does.
cat >"$WORK/memcached-debug" <<WRAPPER
#!/usr/bin/env bash
args=()
while [ \$# -gt 0 ]; do
  if [ "\$1" = -o ] && [ "\${2-}" = relaxed_privileges ]; then shift 2; continue; fi
  args+=("\$1"); shift
done
exec "$BIN" "\${args[@]}"
WRAPPER
chmod +x "$WORK/memcached-debug"
echo "corecached: $BIN"

declare -A reason=()
if [ -f "$EXPECTED" ]; then
  while read -r file rest; do
    case "$file" in ''|'#'*) continue ;; esac
    reason[$file]=$rest
  done <"$EXPECTED"
fi

cd "$WORK" || exit 2
if [ ${#ONLY[@]} -gt 0 ]; then files=("${ONLY[@]/#/t/}"); else files=(t/*.t); fi
pass=0 fail=0 xfail=0 xpass=0 skip=0
unexpected=() now_passing=()
for path in "${files[@]}"; do
  name=${path#t/}
  [ -f "$path" ] || { echo "no such file: $path" >&2; exit 2; }
  log="$WORK/$name.log"
  start=$SECONDS
  # timeout signals its whole process group: the test and the servers it forked.
  env CORECACHED_MEMCACHED_T_RUN="$RUN_TOKEN" timeout -k 5 "$T_TIMEOUT" prove -v "$path" >"$log" 2>&1
  rc=$?
  stray_servers KILL
  secs=$((SECONDS - start))
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    status=TIMEOUT
  elif [ $rc -eq 0 ] && grep -q "^$path \.* skipped" "$log"; then
    status=SKIP
  elif [ $rc -eq 0 ]; then
    status=PASS
  else
    status=FAIL
  fi
  detail=""
  if [ "$status" = SKIP ]; then
    skip=$((skip + 1)); detail=$(grep -o "skipped: .*" "$log" | head -1)
  elif [ "$status" = PASS ]; then
    pass=$((pass + 1))
    if [ -n "${reason[$name]+x}" ]; then
      xpass=$((xpass + 1)); now_passing+=("$name"); detail="XPASS: listed in expected_failures.txt"
    fi
  else
    summary=$(grep -E "^Failed tests?:|^  Failed test|Parse errors:|Bad plan" "$log" | head -3 | tr '\n' ' ')
    if [ -n "${reason[$name]+x}" ]; then
      xfail=$((xfail + 1)); detail="expected: ${reason[$name]}"
    else
      fail=$((fail + 1)); unexpected+=("$name"); detail="UNEXPECTED ${summary}"
    fi
  fi
  printf '%-32s %-7s %3ss  %s\n' "$name" "$status" "$secs" "$detail"
  if [ "${VERBOSE:-0}" = 1 ] && [ "$status" != PASS ] && [ "$status" != SKIP ]; then
    grep -E "^not ok|^#" "$log" | head -20 | sed 's/^/    /'
  fi
done

echo
for name in "${unexpected[@]}"; do echo "unexpected failure: $name (log: KEEP=1 and see $WORK/$name.log)"; done
for name in "${now_passing[@]}"; do echo "now passes, remove it from expected_failures.txt: $name"; done
echo "memcached t/: $pass files pass, $xfail expected failures, $fail unexpected failures, $skip skipped ($xpass of the passing files are listed as expected failures)"
echo "$pass passed, $fail failed, $((skip + xfail)) skipped ($xfail expected failures, $skip skipped by the files)"
[ $fail -eq 0 ]
