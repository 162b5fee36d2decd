#!/usr/bin/env bash
# Install what edgeinfer needs on a Debian 12 machine, only if missing:
# the compiler and build tools, the chosen libraries (cmocka, cJSON,
# libmicrohttpd, OpenBLAS), Python with venv (model fetching, test models),
# clang with its runtime (the libFuzzer target), and the aarch64 cross
# compiler, C library and qemu-aarch64 (tests/test_neon.sh runs the NEON
# kernels under emulation). Uses sudo when not root.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcmocka-dev libcjson-dev libmicrohttpd-dev libopenblas-dev
      python3 python3-venv python3-pip clang libclang-rt-14-dev curl ca-certificates
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all build dependencies present" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
