#!/usr/bin/env bash
# End-to-end benchmarks, uvwamp next to autobahn-python: builds bench/client_bench in
# build-bench/ (release), starts each router in turn (test/fixture/routerctl.py), and for every
# transport, serializer and payload runs bench/client_bench and bench/autobahn_bench.py, one
# process per cell, one after the other against the same router. Prints one table in which
# every number reads "uvwamp / autobahn"; docs/performance.md explains the columns.
#
#   scripts/bench.sh [--seconds S] [--routers "nexus crossbar"] [--transports "ws rs"]
#                    [--serializers json,msgpack,cbor] [--payloads small,64k]
#
# Each cell takes about 3.5 × S per client (a warm-up of S/4, then three measurements of S);
# with the defaults (S = 1, both routers, 24 cells) the run takes about four minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-bench
python=$root/.venv/bin/python

seconds=1
routers="nexus crossbar"
transports="ws rs"
serializers=json,msgpack,cbor
payloads=small,64k

usage() {
  sed -n '8,9p' "$0" | sed 's/^# *//' >&2
  exit 2
}

# Inside `routerctl.py run ROUTER`: measures every cell against that router, appending the rows
# to RESULTS with the router's name in front, and a line "failed ..." for a cell that failed.
measure() {
  local router=$1 results=$2 transport url serializer payload
  for transport in $transports; do
    case $transport in
      ws) url=$UVWAMP_WS_URL ;;
      rs) url=$UVWAMP_RS_URL ;;
      *) echo "bench.sh: transports are ws and rs, not $transport" >&2 && return 2 ;;
    esac
    for serializer in ${serializers//,/ }; do
      for payload in ${payloads//,/ }; do
        printf 'bench.sh: %s %s %s %s\n' "$router" "$transport" "$serializer" "$payload" >&2
        local cell=(--serializers "$serializer" --payloads "$payload" --seconds "$seconds")
        run_cell "$router" "$results" "$build/bench/client_bench" "$url" "${cell[@]}"
        run_cell "$router" "$results" "$python" "$root/bench/autobahn_bench.py" "$url" "${cell[@]}"
      done
    done
  done
}

run_cell() {
  local router=$1 results=$2 rows
  shift 2
  if rows=$("$@" --no-header); then
    while IFS= read -r row; do printf '| %s %s\n' "$router" "$row"; done <<<"$rows" >>"$results"
  else
    echo "failed: $router $*" >>"$results"
  fi
}

if [[ ${1:-} == --measure-inside-router ]]; then
  seconds=$4 transports=$5 serializers=$6 payloads=$7
  measure "$2" "$3"
  exit
fi

while (($#)); do
  case $1 in
    --seconds) seconds=${2:?}; shift 2 ;;
    --routers) routers=${2:?}; shift 2 ;;
    --transports) transports=${2:?}; shift 2 ;;
    --serializers) serializers=${2:?}; shift 2 ;;
    --payloads) payloads=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done

if [[ ! -x $python ]]; then
  echo "bench.sh: no $python with autobahn-python; run scripts/setup.sh first" >&2
  exit 1
fi
options=(--buildtype=release -Dbench=true -Dtests=false -Dsamples=false)
if [[ -f $build/build.ninja ]]; then
  meson configure "$build" "${options[@]}" >/dev/null
else
  meson setup "$build" "$root" "${options[@]}" >/dev/null
fi
ninja -C "$build" bench/client_bench >/dev/null

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for router in $routers; do
  python3 "$root/test/fixture/routerctl.py" run "$router" -- \
    "$0" --measure-inside-router "$router" "$results" "$seconds" "$transports" "$serializers" \
    "$payloads"
done

python3 - "$results" "$seconds" <<'EOF'
import os
import platform
import sys

results, seconds = sys.argv[1], sys.argv[2]
key_columns = 5  # router, client, transport, serializer, payload
failures = [line for line in open(results) if line.startswith("failed:")]
metrics = ["rtt median µs", "rtt p99 µs", "calls/s 1 in flight", "CPU µs/call",
           "calls/s 32 in flight", "events/s", "events lost", "peak RSS MiB"]
rows = {}
for line in open(results):
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    if len(cells) != key_columns + len(metrics):
        continue
    router, client, transport, serializer, payload = cells[:key_columns]
    rows.setdefault((router, transport, serializer, payload), {})[client] = cells[key_columns:]

cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
            if line.startswith("model name")), platform.processor())
print(f"\n{os.cpu_count()} × {cpu}; load average {os.getloadavg()[0]:.2f} at the end; "
      f"{seconds} s per measurement. Each number: uvwamp / autobahn-python.\n")
print("| router | transport | serializer | payload | " + " | ".join(metrics) + " |")
print("|---|---|---|---|" + "---:|" * len(metrics))
for key, clients in rows.items():
    pair = []
    for i in range(len(metrics)):
        uv = clients.get("uvwamp", ["—"] * len(metrics))[i]
        ab = clients.get("autobahn", ["—"] * len(metrics))[i]
        pair.append(f"{uv} / {ab}")
    print("| " + " | ".join(key) + " | " + " | ".join(pair) + " |")
for failure in failures:
    print(f"bench.sh: {failure.strip()}", file=sys.stderr)
if failures or not rows:
    sys.exit(1)
EOF
