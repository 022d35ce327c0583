#!/usr/bin/env bash
# The demo: sets the machine up, builds uvwamp and sends one WAMP CALL through each serializer
# with the uvwamp tool -- JSON in, bytes out, and back. (With the client API of issue #4 the demo
# becomes samples talking to a local router.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if [ ! -f "$root/build/build.ninja" ]; then meson setup "$root/build" "$root" >/dev/null; fi
ninja -C "$root/build" tools/uvwamp/uvwamp >/dev/null
tool="$root/build/tools/uvwamp/uvwamp"

call='[48,7814135,{"receive_progress":true},"com.myapp.add",[23,7,"\u0000AAECAw=="],{"round":false}]'
echo "A WAMP CALL as JSON (the last argument is binary, in WAMP's \\u0000+base64 form):"
echo "  $call"
for serializer in json msgpack cbor; do
  hex=$(printf '%s' "$call" | "$tool" encode --serializer "$serializer" --hex)
  back=$(printf '%s' "$hex" | "$tool" decode --serializer "$serializer" --hex)
  echo
  echo "$serializer ($(( ${#hex} / 2 )) bytes): $hex"
  echo "  decoded back: $back"
done
echo
echo "And a message that breaks the spec (request id 0) is refused:"
printf '%s' '[48,0,{},"com.myapp.add"]' | "$tool" encode --serializer cbor --hex || true
