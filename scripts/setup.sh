#!/usr/bin/env bash
# Installs what uvwamp's build and tests need on a Debian 12 machine:
#   - the Debian packages for building, testing, fuzzing and benchmarking;
#   - a Python venv at .venv/ with Crossbar.io, every package pinned by
#     test/routers/crossbar/requirements.txt;
#   - the nexus router at .tools/bin/nexusd, pinned by test/routers/nexus/go.mod and go.sum.
# Each step checks before it installs, so a second run takes a second or two.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root=$(pwd)
started=$SECONDS

say() { printf 'setup: %s\n' "$*"; }
fail() {
  printf 'setup: %s\n' "$*" >&2
  exit 1
}

apt_packages=(
  meson ninja-build pkg-config g++ clang clang-format libclang-rt-14-dev
  libuv1-dev libwslay-dev libjansson-dev libmsgpack-dev libcbor-dev libsodium-dev libargon2-dev libmbedtls-dev
  libgtest-dev libbenchmark-dev python3 python3-venv openssl openssh-client putty-tools git
)

install_debian_packages() {
  local missing=() package
  for package in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} == 0)); then
    say "Debian packages present"
    return
  fi
  local sudo=()
  if ((EUID != 0)); then
    sudo=(sudo)
  fi
  say "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# The stamp holds a copy of the requirements the venv was built from: a changed pin rebuilds it.
install_crossbar() {
  local requirements=test/routers/crossbar/requirements.txt
  local stamp=.venv/uvwamp-requirements.txt
  if [[ -x .venv/bin/crossbar ]] && cmp -s "$requirements" "$stamp"; then
    say "Crossbar.io venv up to date (.venv)"
    return
  fi
  say "building the Crossbar.io venv at .venv (about a minute)"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
  say "$(.venv/bin/crossbar version 2>/dev/null | grep -m1 -o 'Crossbar.io *: *[0-9.]*' | tr -s ' ')"
}

# The stamp holds the hash of the module files that pin nexus: a changed pin rebuilds nexusd.
install_nexus() {
  local module=test/routers/nexus
  local stamp=.tools/nexusd.stamp
  local pin
  pin=$(cat "$module/go.mod" "$module/go.sum" | sha256sum | cut -d' ' -f1)
  if [[ -x .tools/bin/nexusd ]] && [[ "$(cat "$stamp" 2>/dev/null)" == "$pin" ]]; then
    say "nexusd up to date (.tools/bin/nexusd)"
    return
  fi
  command -v go >/dev/null || fail "Go 1.25 or newer must be on PATH to build nexusd"
  say "building nexusd into .tools/bin"
  mkdir -p .tools/bin
  (cd "$module" && go build -o "$repo_root/.tools/bin/nexusd" github.com/gammazero/nexus/v3/nexusd)
  echo "$pin" >"$stamp"
}

install_debian_packages
install_crossbar
install_nexus
say "done in $((SECONDS - started)) s"
