#!/usr/bin/env bash
# Installs uvwamp into a scratch prefix and builds a program against that installed copy alone,
# through pkg-config, as a user of a distribution package or of `meson install` would. Passes
# when the public headers (and only those), the library, the pkg-config file and the uvwamp tool
# are installed and the program, test/consumer/main.cpp, builds and runs.
#
# usage: install_test.sh SOURCE_ROOT
set -euo pipefail

source_root=$(cd "${1:?usage: install_test.sh SOURCE_ROOT}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/uvwamp-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

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

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A fixed libdir: Debian's meson would otherwise pick lib/<multiarch triplet>. Unoptimized, since
# what is checked is what gets installed, and optimizing took most of the test's time.
step setup meson setup "$work/build" "$source_root" --prefix="$prefix" --libdir=lib \
  --buildtype=debug -Dtests=false -Dsamples=false
step build ninja -C "$work/build"
step install meson install -C "$work/build"

public_headers=$(cd "$source_root/include/uvwamp" && ls)
installed_headers=$(cd "$prefix/include/uvwamp" && ls)
[[ "$installed_headers" == "$public_headers" ]] ||
  fail "installed headers differ from include/uvwamp:" $'\n'"$installed_headers"
for header in $public_headers; do
  cmp -s "$source_root/include/uvwamp/$header" "$prefix/include/uvwamp/$header" ||
    fail "installed $header differs from the source"
done

[[ -e "$prefix/lib/libuvwamp.so" ]] || fail "no libuvwamp.so in $prefix/lib"
[[ -x "$prefix/bin/uvwamp" ]] || fail "no uvwamp tool in $prefix/bin"
step tool "$prefix/bin/uvwamp" --help

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
step pkg_config pkg-config --cflags --libs uvwamp
flags=$(cat "$work/pkg_config.log")
[[ "$flags" == *"-I$prefix/include"* && "$flags" == *"-L$prefix/lib"* ]] ||
  fail "pkg-config does not point into $prefix: $flags"
# A static link needs every private dependency to resolve too.
step pkg_config_static pkg-config --static --libs uvwamp

# Unquoted on purpose: pkg-config prints several flags.
# shellcheck disable=SC2086
step compile "${CXX:-c++}" -std=c++17 -Wall -Wextra -Werror \
  "$source_root/test/consumer/main.cpp" -o "$work/consumer" $flags
step run env LD_LIBRARY_PATH="$prefix/lib" "$work/consumer"
cat "$work/run.log"
grep -qx 'round trip ok' "$work/run.log" || fail "the program did not report a good round trip"
echo "PASS: an installed uvwamp works through pkg-config"
