#!/usr/bin/env bash
# The long chaos run: the restart test of test/chaos_router_test.cpp with many more restarts than
# CI's, to see the client stay correct and its memory flat over hundreds of router crashes.
#
#   scripts/chaos.sh [NEXUS_CYCLES [CROSSBAR_CYCLES]]      default 100 and 100
#
# Environment: UVWAMP_CHAOS_BUILD, the build directory (default build-chaos, configured here as a
# plain debug build the first time); UVWAMP_CHAOS_REPORT_EVERY, how many restarts between memory
# samples (default 10); UVWAMP_CHAOS_FILTER, a gtest filter to run fewer cases (default: every
# restart case, nexus over RawSocket and WebSocket, Crossbar over WebSocket).
#
# Prints the test's output, then per case: restarts, duration, and the resident memory (VmRSS)
# and malloc's bytes in use at the first sample, in the middle and at the end, with a verdict on
# whether memory stayed flat. Exits non-zero if the test failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

nexus_cycles=${1:-100}
crossbar_cycles=${2:-100}
build=${UVWAMP_CHAOS_BUILD:-build-chaos}
filter=${UVWAMP_CHAOS_FILTER:-*RouterRestartTest*}

say() { printf 'chaos.sh: %s\n' "$*"; }

if [[ ! -f $build/build.ninja ]]; then
  rm -rf "$build"
  say "configuring $build"
  meson setup "$build" -Dbuildtype=debug
fi
say "building $build/test/chaos_router_test"
ninja -C "$build" test/chaos_router_test

log=$(mktemp -t uvwamp-chaos.XXXXXX)
trap 'rm -f "$log"' EXIT
say "running $nexus_cycles nexus and $crossbar_cycles Crossbar restarts per case"
status=0
UVWAMP_CHAOS_NEXUS_CYCLES=$nexus_cycles UVWAMP_CHAOS_CROSSBAR_CYCLES=$crossbar_cycles \
  "$build/test/chaos_router_test" --gtest_filter="$filter" 2>&1 | tee "$log" || status=1
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1

# The samples are lines such as
#   chaos-memory router=nexus transport=rs cycle=10 seconds=7.4 rss_kib=6992 heap_bytes=220160 ...
# Memory counts as flat when, from the first sample after restarts began to the last, it grew by
# less than FLAT_KIB (rss) and FLAT_BYTES (heap): allocators and caches settle during the first
# restarts, a leak keeps growing with every one.
python3 - "$log" <<'EOF'
import sys
from collections import defaultdict

FLAT_KIB = 512
FLAT_BYTES = 64 * 1024

cases = defaultdict(list)
durations = {}
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("chaos-memory "):
        sample = dict(word.split("=", 1) for word in line.split()[1:])
        cases[(sample["router"], sample["transport"])].append(sample)
    elif line.startswith("chaos: ") and " restarts in " in line:
        words = line.split()
        durations[(words[1], words[2])] = line.strip()[len("chaos: "):]

if not cases:
    print("chaos.sh: no memory samples in the output")
    sys.exit(0)
for (router, transport), samples in cases.items():
    first = samples[1] if len(samples) > 2 else samples[0]  # the first after restarts began
    middle = samples[len(samples) // 2]
    last = samples[-1]
    print(f"chaos.sh: {router} {transport}: {durations.get((router, transport), 'did not finish')}")
    for label, sample in (("start", samples[0]), ("first", first), ("middle", middle), ("end", last)):
        print(
            f"chaos.sh:   {label:6} cycle {sample['cycle']:>4} at {sample['seconds']:>7} s: "
            f"rss {sample['rss_kib']:>7} KiB, heap {sample['heap_bytes']:>9} bytes"
        )
    rss_growth = int(last["rss_kib"]) - int(first["rss_kib"])
    heap_growth = int(last["heap_bytes"]) - int(first["heap_bytes"])
    cycles = max(1, int(last["cycle"]) - int(first["cycle"]))
    heap_known = int(last["heap_bytes"]) >= 0
    flat = rss_growth < FLAT_KIB and (not heap_known or heap_growth < FLAT_BYTES)
    print(
        f"chaos.sh:   from cycle {first['cycle']} to {last['cycle']}: rss {rss_growth:+d} KiB, "
        + (f"heap {heap_growth:+d} bytes ({heap_growth / cycles:+.0f} per restart)" if heap_known
           else "heap not measured (sanitized build)")
        + f": {'flat' if flat else 'GROWING'}"
    )
EOF
exit "$status"
