#!/usr/bin/env bash
# The demo: sets the machine up, builds uvwamp, starts a local nexus router and shows WAMP at work
# through it. The callee and subscriber samples (samples/cpp/register, subscribe) run in the
# background while the caller and publisher samples talk to them; then the uvwamp tool does the
# same from the shell. Last, the router is killed and started again on its ports under the daemon
# sample (samples/cpp/daemon), which reconnects, registers and subscribes again, and answers and
# prints as before; the register sample, which does not reconnect, ends with the router.
# Everything the demo starts stops when it ends, however it ends: the router
# goes down as soon as this script lets go of its stdin, even if the script is killed.
#
#   scripts/demo.sh           UVWAMP_BUILD_DIR chooses the build directory (default: build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${UVWAMP_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"
if [ ! -f "$build/build.ninja" ]; then meson setup "$build" "$root" >/dev/null; fi
samples=(register call subscribe publish daemon)
ninja -C "$build" tools/uvwamp/uvwamp "${samples[@]/#/samples/cpp/}" >/dev/null
tool="$build/tools/uvwamp/uvwamp"
sample() { "$build/samples/cpp/$1" "$url" "$realm" "${@:2}"; }
# A sample in the background is started by its path, not through sample(): the sample itself is
# then the process cleanup stops (a function would run it in a subshell cleanup cannot reach).
samples_dir=$build/samples/cpp

work=$(mktemp -d)
background=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${background[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${background[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${router_pid:-}" ]; then
    # EOF on its stdin is routerctl's signal to stop the router; it exits once the router is gone.
    if [ -n "${ROUTER[1]:-}" ]; then eval "exec ${ROUTER[1]}>&-"; fi
    wait "$router_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/   /'; }
# Waits until FILE has a line with TEXT, written by the background process PID.
wait_for() {
  local file=$1 text=$2 pid=$3 tries=200
  until grep -qF -- "$text" "$file"; do
    if ! kill -0 "$pid" 2>/dev/null || ((--tries == 0)); then
      echo "demo: never saw '$text' in $file:" >&2
      indent <"$file" >&2
      return 1
    fi
    sleep 0.1
  done
}
start() {
  local out=$1
  shift
  : >"$out"
  "$@" >"$out" 2>&1 &
  background+=($!)
}
# The command line as one would type it: words with shell characters in single quotes (none of
# the demo's words holds a single quote).
typed() {
  local word line=
  for word in "$@"; do
    if [[ $word =~ ^[A-Za-z0-9._/:=+-]+$ ]]; then line+=" $word"; else line+=" '$word'"; fi
  done
  printf '$%s\n' "$line"
}

# Starts nexus (on the ports "WS,RS" when given) and reads the endpoints routerctl describes.
start_router() {
  coproc ROUTER { exec python3 "$root/test/fixture/routerctl.py" ${1:+--ports "$1"} serve nexus; }
  router_pid=$ROUTER_PID
  read -r -t 60 endpoints <&"${ROUTER[0]}" || endpoints='{"error": "routerctl said nothing"}'
}
# What the endpoints say: json_of KEY.
json_of() {
  python3 -c 'import json, sys
e = json.loads(sys.argv[1])
print(e.get(sys.argv[2]) or sys.exit("demo: no router: " + e.get("error", sys.argv[2])))' \
    "$endpoints" "$1"
}

start_router
url=$(json_of websocket_url)
realm=realm1
say "nexus is up: $url, realm $realm"

start "$work/register.out" "$samples_dir/register" "$url" "$realm"
wait_for "$work/register.out" "registered com.example.greet" "${background[-1]}"
start "$work/subscribe.out" "$samples_dir/subscribe" "$url" "$realm" 3
subscriber=${background[-1]}
wait_for "$work/subscribe.out" "subscribed to com.example.tick" "$subscriber"
echo "samples/cpp/register and samples/cpp/subscribe run in the background."

say "samples/cpp/call: calls com.example.add2 and com.example.greet"
sample call | indent

say "samples/cpp/publish: publishes 3 ticks, each acknowledged"
sample publish 3 | indent
wait "$subscriber"

say "what samples/cpp/subscribe printed"
indent <"$work/subscribe.out"

say "the uvwamp tool calls the same callee: JSON in, JSON out"
echo "   (each command below also gets --url $url --realm $realm)"
session=(--url "$url" --realm "$realm")
show() {
  typed uvwamp "$@" | indent
  "$tool" "$@" "${session[@]}" 2>&1 | indent
}
show call com.example.add2 40 2
show call com.example.greet '"shell"' --kwargs '{"greeting":"Good evening"}'
show call com.example.add2 '"two"' 3 || echo "   (exit status 3: the callee answered with a WAMP error)"

say "uvwamp register answers with a command's output, uvwamp subscribe prints events"
upper=(register com.example.upper --count 1
  --exec python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["args"][0].upper()))')
echo "$(typed uvwamp "${upper[@]}") &" | indent
start "$work/upper.out" "$tool" "${upper[@]:0:4}" "${session[@]}" "${upper[@]:4}"
wait_for "$work/upper.out" "registered com.example.upper" "${background[-1]}"
show call com.example.upper '"make me loud"'
echo "$(typed uvwamp subscribe com.example.tick --count 1) &" | indent
start "$work/ticks.out" "$tool" subscribe com.example.tick --count 1 "${session[@]}"
wait_for "$work/ticks.out" "subscribed to com.example.tick" "${background[-1]}"
show publish com.example.tick 99 --kwargs '{"from":"the shell"}' --acknowledge
wait "${background[-1]}"
echo "   uvwamp subscribe printed:"
grep -v '^uvwamp subscribe:' "$work/ticks.out" | indent | indent

say "the router restarts under samples/cpp/daemon, which reconnects and registers again"
start "$work/daemon.out" "$samples_dir/daemon" "$url" "$realm"
daemon=${background[-1]}
wait_for "$work/daemon.out" "subscribed to com.example.tick" "$daemon"
wait_for "$work/daemon.out" "registered com.example.daemon.status" "$daemon"
ports="$(json_of websocket_port),$(json_of rawsocket_port)"
echo "   killing nexus with SIGKILL, then starting it again on the same ports"
kill -KILL -- "-$(json_of pid)"
read -r -t 20 _ <&"${ROUTER[0]}" || true # routerctl's {"exited": -9}
eval "exec ${ROUTER[1]}>&-"
wait "$router_pid" 2>/dev/null || true
start_router "$ports"
wait_for "$work/daemon.out" "back as session" "$daemon"
show publish com.example.tick '"after the restart"' --acknowledge
wait_for "$work/daemon.out" "after the restart" "$daemon"
show call com.example.daemon.status
echo "   samples/cpp/daemon printed:"
indent <"$work/daemon.out" | indent

say "what samples/cpp/register printed"
indent <"$work/register.out"
say "done: the samples, the tool and nexus have stopped"
