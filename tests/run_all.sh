#!/usr/bin/env bash
# Runs every test: unit + lint (incl. clang-format) + clang-tidy + integration on the
# debugoptimized build (warnings as errors), unit + integration under ASan/UBSan, the cross-thread
# unit tests and issue #6's overload tests under TSan, and each parser's fuzz target for a bounded
# time. Ends with the line
# `N passed, N failed` (tests/summarize.py).
# Called by `bash .ci/bootstrap.sh test` (the README's test command) after packages are installed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build-results
rm -rf "$OUT" && mkdir -p "$OUT"
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
meson_logs=() junit=() failed_stages=() plain=()

stage() { echo; echo "=== $* ==="; }
fail_stage() { echo "stage failed: $1" >&2; failed_stages+=(--failed-stage "$1"); }

setup() {  # setup DIR [meson args...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$OUT/setup-$(basename "$dir").log" 2>&1 || { cat "$OUT/setup-$(basename "$dir").log"; return 1; }
  else
    meson configure "$dir" "$@" >/dev/null 2>&1 || return 1
  fi
}

run_meson_tests() {  # run_meson_tests DIR NAME [meson test args...]
  local dir=$1 name=$2; shift 2
  meson test -C "$dir" --no-rebuild --print-errorlogs "$@"
  cp "$dir/meson-logs/testlog.json" "$OUT/$name.testlog.json" && meson_logs+=(--meson "$OUT/$name.testlog.json")
}

run_pytest() {  # run_pytest NAME BINARY [extra env...]
  local name=$1 binary=$2; shift 2
  env CORECACHED_BINARY="$binary" "$@" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    --junitxml="$OUT/$name.junit.xml" tests/integration
  local rc=$?
  # pytest: 0 ok, 1 some failed (counted from the XML); anything else is a broken stage.
  if [ -f "$OUT/$name.junit.xml" ]; then junit+=(--junit "$OUT/$name.junit.xml"); fi
  if [ $rc -gt 1 ]; then fail_stage "pytest $name (exit $rc)"; fi
}

stage "build (debugoptimized, -Werror)"
if setup build --buildtype=debugoptimized -Dwerror=true && ninja -C build -j"$JOBS"; then
  stage "unit + lint"
  run_meson_tests build main --suite unit --suite lint
  # STYLE.md 10.2: each src/ file clean under .clang-tidy (2.5-4 min with -j2); one test per file.
  stage "clang-tidy (src/)"
  JOBS=$JOBS bash tests/lint/check_tidy.sh "$ROOT" build 2>&1 | tee "$OUT/tidy.log"
  plain+=(--plain "$OUT/tidy.log")
  stage "integration"
  run_pytest integration "$ROOT/build/src/corecached"
else
  fail_stage "build"
fi

stage "build (ASan + UBSan)"
if setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false && ninja -C build-asan -j"$JOBS"; then
  export ASAN_OPTIONS=detect_stack_use_after_return=0:detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  stage "unit (ASan + UBSan)"
  run_meson_tests build-asan asan --suite unit
  stage "integration (ASan + UBSan)"
  run_pytest integration-asan "$ROOT/build-asan/src/corecached" CORECACHED_SANITIZED=1
  unset ASAN_OPTIONS UBSAN_OPTIONS
else
  fail_stage "build-asan"
fi

stage "build (TSan, clang) and cross-thread tests"
if CC=clang CXX=clang++ setup build-tsan --buildtype=debug -Db_sanitize=thread -Db_lundef=false && \
   ninja -C build-tsan -j"$JOBS" tests/unit/shard/shard_test tests/unit/cold/cold_io_threads_test \
     src/corecached; then
  # shard_test holds router_test.cc: the per-turn cross-thread message exchange between threads
  # hosting shards (issue #10), with std::threads and fibers.
  TSAN_OPTIONS="suppressions=$ROOT/tests/tsan.supp halt_on_error=1" \
    run_meson_tests build-tsan tsan --suite threads
  # Issue #6: the overload and hostile-client tests against the whole server under TSan, bounded
  # (~40 s on 2 cores; the full build-tsan adds ~3 min of compiling). 2,000 instead of 10,000
  # connections: TSan runs the server ~10x slower. RSS bounds are skipped (CORECACHED_SANITIZED);
  # CORECACHED_WARMUP absorbs TSan's ~0.3 s first request and CORECACHED_SOCKET_TIMEOUT=20 its
  # slower replies under load (test_backpressure's hammers). A TSan report makes the server exit
  # non-zero (halt_on_error), which conftest turns into a failed test.
  # test_connection_storm.py once failed here (sockets "unanswered"): the test's fault, not a lost
  # wake-up (gdb on the stuck server: every shard idle, no message in flight, every connection idle
  # with empty buffers): under TSan the server sheds some pipelined commands, and the test waited
  # for a byte count only unshed replies reach; it also sent a 28 KB pipeline with one
  # non-blocking send(). It now counts replies and accepts shed ones.
  # Issue #14: the cold tier's files whole (reader and writer threads, per-turn load batches,
  # SIGTERM and kill -9 restarts): 42-46 s under TSan on the shared 2-core machine (9 tests).
  stage "integration (TSan): overload, hostile clients, cross-thread hand-off under load, TLS, watch, cold tier"
  TSAN_OPTIONS="suppressions=$ROOT/tests/tsan.supp halt_on_error=1" CORECACHED_SANITIZED=1 \
    CORECACHED_WARMUP=1 CORECACHED_SOCKET_TIMEOUT=20 CORECACHED_MANY_CONNECTIONS=2000 \
    env CORECACHED_BINARY="$ROOT/build-tsan/src/corecached" /usr/bin/python3 -m pytest -q \
      -p no:cacheprovider --junitxml="$OUT/integration-tsan.junit.xml" \
      tests/integration/test_backpressure.py tests/integration/test_slow_client.py \
      tests/integration/test_many_connections.py tests/integration/test_garbage_soak.py \
      tests/integration/test_disconnect_midway.py \
      tests/integration/test_concurrency.py tests/integration/test_tls.py \
      tests/integration/test_connection_storm.py tests/integration/test_watch.py \
      tests/integration/test_stats_conns.py \
      tests/integration/test_cold_tier.py tests/integration/test_cold_restart.py
  rc=$?
  if [ -f "$OUT/integration-tsan.junit.xml" ]; then junit+=(--junit "$OUT/integration-tsan.junit.xml"); fi
  if [ $rc -gt 1 ]; then fail_stage "pytest integration-tsan (exit $rc)"; fi
else
  fail_stage "build-tsan"
fi

if [ -d tests/fuzz ] && [ -f tests/fuzz/meson.build ]; then
  stage "fuzz (clang libFuzzer, ${FUZZ_SECONDS}s per parser)"
  if CC=clang CXX=clang++ setup build-fuzz --buildtype=debugoptimized -Dfuzz=true \
       -Db_sanitize=address,undefined -Db_lundef=false && \
     ninja -C build-fuzz -j"$JOBS" tests/fuzz/fuzz_text_parser tests/fuzz/fuzz_meta_parser \
       tests/fuzz/fuzz_binary_parser; then
    FUZZ_SECONDS=$FUZZ_SECONDS run_meson_tests build-fuzz fuzz --suite fuzz
  else
    fail_stage "build-fuzz"
  fi
fi

stage "packaging (.deb + .rpm build, lintian, install, run, purge)"
bash packaging/test-package.sh 2>&1 | tee "$OUT/packaging.log"
plain+=(--plain "$OUT/packaging.log")

stage "summary"
/usr/bin/python3 tests/summarize.py "${meson_logs[@]}" "${junit[@]}" "${plain[@]}" "${failed_stages[@]}"
