#!/usr/bin/env bash
# The README's two commands: `bash .ci/bootstrap.sh run` and `bash .ci/bootstrap.sh test`.
# Installs what is missing (Debian 12 packages, as root), builds, then runs the server on its default
# config in the foreground, or runs every test (tests/run_all.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(meson ninja-build pkg-config cmake g++ clang libclang-rt-14-dev clang-format clang-tidy
  libevent-dev libboost-fiber-dev libboost-context-dev libboost-dev libxxhash-dev
  liblmdb-dev libyaml-cpp-dev prometheus-cpp-dev doctest-dev libcli11-dev
  memcached libmemcached-tools python3-pymemcache python3-pylibmc python3-pytest python3-xxhash netcat-openbsd
  procps libsasl2-modules sasl2-bin openssl libssl-dev nutcracker)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's memcached package starts a service on 11211; corecached's default port. Stop it.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now memcached >/dev/null 2>&1 || true; fi
fi

build() {
  if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=debugoptimized >/dev/null
  fi
  ninja -C build
}

case "${1:-}" in
  run)
    build
    exec ./build/src/corecached -v
    ;;
  test)
    exec bash tests/run_all.sh
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
