#!/usr/bin/env bash
# Runs every test of uvwamp, as CI does (.ci/run calls this):
#   1. scripts/setup.sh, so that the Debian packages and both real routers are there;
#   2. build/: a normal build and all its tests, the router tests included;
#   3. build-asan/: the same under AddressSanitizer and UndefinedBehaviorSanitizer;
#   4. build-tsan/: the tests of code that crosses threads under ThreadSanitizer;
#   5. the fuzz targets, briefly;
# then one line `tests: N passed, N failed` summed over every run. Exits non-zero if a build or
# any test failed, or if no test ran at all.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'test.sh: %s\n' "$*"; }

scripts/setup.sh

passed=0
failed=0
skipped=0
status=0

# record_results DIR: adds the results of DIR's last `meson test` to the counts. Read right after
# the run, before anything else can run meson test in DIR and overwrite testlog.json. meson writes
# one JSON object per test; EXPECTEDFAIL counts as a pass, SKIP as neither.
record_results() {
  local counts dir_passed dir_failed dir_skipped
  counts=$(
    python3 - "$1/meson-logs/testlog.json" <<'EOF'
import json
import sys

passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as log:
        for line in log:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
except OSError:
    failed += 1  # meson test did not even write its log
print(passed, failed, skipped)
EOF
  )
  read -r dir_passed dir_failed dir_skipped <<<"$counts"
  passed=$((passed + dir_passed))
  failed=$((failed + dir_failed))
  skipped=$((skipped + dir_skipped))
}

# build_and_test DIR [meson options...] [-- meson test options...]: configures DIR the first
# time, applies the options to an existing DIR, builds it and runs its tests.
build_and_test() {
  local dir=$1
  shift
  local test_options=()
  local options=()
  while (($# > 0)); do
    if [[ $1 == -- ]]; then
      shift
      test_options=("$@")
      break
    fi
    options+=("$1")
    shift
  done
  set -- "${options[@]}"
  if [[ ! -f $dir/build.ninja ]]; then
    # Whatever a failed configure left behind would stop meson setup.
    rm -rf "$dir"
    say "configuring $dir $*"
    meson setup "$dir" "$@"
  elif (($# > 0)); then
    meson configure "$dir" "$@"
  fi
  local started=$SECONDS
  say "building $dir"
  meson compile -C "$dir"
  say "built $dir in $((SECONDS - started)) s; testing it"
  started=$SECONDS
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --print-errorlogs "${test_options[@]}" || status=1
  record_results "$dir"
  say "tested $dir in $((SECONDS - started)) s"
}

build_and_test build
# The 'build' suite configures uvwamp afresh without sanitizers, so it would only repeat itself.
# Unoptimized: the sanitizers find as much at -O0, and at -O2 gcc compiles the instrumented tests
# six times slower, which took most of CI's time.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  build_and_test build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
  -- --no-suite build

# The code that crosses threads (the 'threads' suite: the worker pool and the client around it)
# under ThreadSanitizer; only those tests are built.
tsan_dir=build-tsan
if [[ ! -f $tsan_dir/build.ninja ]]; then
  rm -rf "$tsan_dir"
  say "configuring $tsan_dir"
  meson setup "$tsan_dir" -Dbuildtype=debug -Db_sanitize=thread -Db_lundef=false
fi
started=$SECONDS
say "building the threads suite in $tsan_dir"
if meson compile -C "$tsan_dir" test/worker_pool_test test/client_test; then
  rm -f "$tsan_dir/meson-logs/testlog.json"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson test -C "$tsan_dir" --no-rebuild --print-errorlogs --suite threads || status=1
  record_results "$tsan_dir"
else
  status=1
  failed=$((failed + 1))
fi
say "built and tested $tsan_dir in $((SECONDS - started)) s"

# The libFuzzer targets (clang, ASan, UBSan) for a bounded time each; the run counts as one
# test, and a crash in any target fails it.
fuzz_seconds=${UVWAMP_FUZZ_SECONDS:-20}
say "fuzzing each target for ${fuzz_seconds} s"
if scripts/fuzz.sh "$fuzz_seconds"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

if ((passed + failed == 0)); then
  say "no test ran"
  status=1
fi
if ((failed > 0)); then
  status=1
fi
if ((skipped > 0)); then
  echo "tests: $passed passed, $failed failed, $skipped skipped"
else
  echo "tests: $passed passed, $failed failed"
fi
exit "$status"
