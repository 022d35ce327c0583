#!/usr/bin/env bash
# Builds test/consumer, a separate meson project, with uvwamp as its subproject, the way a
# project that vendors uvwamp or pulls it in through a wrap does. Passes when the consumer builds
# against uvwamp's public headers alone, runs, and uvwamp's tests and samples stay out of its
# build.
#
# usage: subproject_test.sh SOURCE_ROOT
set -euo pipefail

source_root=$(cd "${1:?usage: subproject_test.sh SOURCE_ROOT}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/uvwamp-subproject.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Runs one step with its output in a log, which is shown only when the step fails.
step() {
  local name=$1
  shift
  if ! "$@" >"$work/$name.log" 2>&1; then
    echo "FAIL: $name: $*" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
}

# What a release would ship (files git tracks plus new ones it does not ignore), so that the
# build directories and downloaded subprojects of a working tree stay out of the copy.
copy_source_tree() {
  local dest=$1
  if git -C "$source_root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mkdir "$dest"
    git -C "$source_root" ls-files -z --cached --others --exclude-standard |
      tar -C "$source_root" --null --files-from=- --ignore-failed-read -cf - |
      tar -C "$dest" -xf -
  else
    ln -s "$source_root" "$dest"
  fi
}

consumer=$work/consumer
cp -R "$source_root/test/consumer" "$consumer"
mkdir "$consumer/subprojects"
step copy copy_source_tree "$consumer/subprojects/uvwamp"

# Forced, so that a uvwamp installed on this machine cannot stand in for the subproject.
# Unoptimized: what is checked is that the subproject builds and links, not how fast it runs.
step setup meson setup "$work/build" "$consumer" --force-fallback-for=uvwamp --buildtype=debug
step build ninja -C "$work/build"

if meson introspect --targets "$work/build" |
  grep -oE '"defined_in": "[^"]*/subprojects/uvwamp/(test|samples)/meson.build"'; then
  echo "FAIL: the consumer's build holds uvwamp's tests or samples" >&2
  exit 1
fi

step run "$work/build/consumer"
cat "$work/run.log"
if ! grep -qx 'round trip ok' "$work/run.log"; then
  echo "FAIL: the consumer did not report a good round trip" >&2
  exit 1
fi
echo "PASS: uvwamp builds and works as a meson subproject"
