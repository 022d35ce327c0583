#!/usr/bin/env bash
# Builds uvwamp's libFuzzer targets with clang under AddressSanitizer and UndefinedBehaviorSanitizer
# and runs each for a bounded time, seeded with the messages in fuzz/seeds.jsonl.
# usage: scripts/fuzz.sh [seconds per target, default 20]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-20}
build="$root/build-fuzz"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" "$root" -Dfuzz=true -Dtests=false -Dsamples=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$build" >/dev/null

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
serializers=(json msgpack cbor)
for s in "${serializers[@]}"; do mkdir -p "$corpus/${s}_decode"; done
mkdir -p "$corpus/message"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  for i in 0 1 2; do
    s=${serializers[$i]}
    printf '%s' "$line" | "$build/tools/uvwamp/uvwamp" encode -s "$s" >"$corpus/${s}_decode/seed$n"
    { printf "\\x0$i"; cat "$corpus/${s}_decode/seed$n"; } >"$corpus/message/seed${n}_$s"
  done
done <"$root/fuzz/seeds.jsonl"

# The session reads a router's side of a conversation, a JSON message per line: one seed is a
# whole session, one a session that authenticates first, one a session that ends and is joined
# and restored again (the line "e" is the owner's rejoin), another every seed message at once.
mkdir -p "$corpus/session"
cp "$root/fuzz/session_seed.jsonl" "$corpus/session/seed_session"
cp "$root/fuzz/session_auth_seed.jsonl" "$corpus/session/seed_auth_session"
cp "$root/fuzz/session_restore_seed.jsonl" "$corpus/session/seed_restore_session"
cp "$root/fuzz/seeds.jsonl" "$corpus/session/seed_messages"

# The framing targets start from nothing: their inputs are handshake replies and frames, which
# libFuzzer finds quickly from the magic octets and prefixes in the engines' comparisons.
mkdir -p "$corpus/rawsocket" "$corpus/websocket"

# Key files start from ones the real tools make, where they are installed.
mkdir -p "$corpus/signing_key"
keys=$(mktemp -d)
if command -v ssh-keygen >/dev/null; then
  ssh-keygen -q -t ed25519 -N '' -f "$keys/openssh" && cp "$keys/openssh" "$corpus/signing_key/"
  ssh-keygen -q -t ed25519 -N 'pass' -a 2 -f "$keys/openssh_encrypted" &&
    cp "$keys/openssh_encrypted" "$corpus/signing_key/"
fi
if command -v puttygen >/dev/null; then
  puttygen -q -t ed25519 -o "$corpus/signing_key/putty3.ppk" --new-passphrase /dev/null </dev/null || true
  puttygen -q -t ed25519 -o "$corpus/signing_key/putty2.ppk" --ppk-param version=2 \
    --new-passphrase /dev/null </dev/null || true
fi
if command -v openssl >/dev/null; then
  openssl genpkey -algorithm ed25519 -out "$corpus/signing_key/pkcs8.pem" 2>/dev/null || true
  openssl pkey -in "$corpus/signing_key/pkcs8.pem" -outform DER -out "$corpus/signing_key/pkcs8.der" \
    2>/dev/null || true
fi
rm -rf "$keys"

export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for target in json_decode msgpack_decode cbor_decode message rawsocket websocket session signing_key; do
  echo "fuzz: $target for ${seconds}s"
  # 17 MiB holds every allocation to the largest message a framing accepts (16 MiB) plus a little.
  "$build/fuzz/${target}_fuzz" -max_total_time="$seconds" -malloc_limit_mb=17 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 "$corpus/$target" 2>"$corpus/$target.log" ||
    { tail -n 60 "$corpus/$target.log"; echo "fuzz: $target FAILED"; exit 1; }
  grep -E '^stat::number_of_executed_units' "$corpus/$target.log" | sed "s/^/fuzz: $target /"
done
