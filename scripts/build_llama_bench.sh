#!/usr/bin/env bash
# Build llama.cpp's llama-bench and llama-quantize (CPU only, Release,
# GGML_NATIVE=ON) for side-by-side benchmarks, or find them on PATH.
#
#   scripts/build_llama_bench.sh            build if needed; print the bin folder
#   scripts/build_llama_bench.sh --force    rebuild even if the binaries exist
#   scripts/build_llama_bench.sh --no-path  ignore llama-bench/llama-quantize on PATH
#   scripts/build_llama_bench.sh --server   also build llama-server (for
#                                           scripts/bench_server.py --llama-server)
#   scripts/build_llama_bench.sh --avx2     a build for AVX2 CPUs (no AVX-512,
#                                           GGML_NATIVE=OFF) in build-avx2/ and
#                                           bin-avx2/: what llama.cpp does on a
#                                           CPU without AVX-512, to hold against
#                                           EDGEINFER_CPU=avx2 on this one
#
# The last line of stdout is the folder holding llama-bench and
# llama-quantize. Progress goes to stderr.
#
# Sources: the llama.cpp copy vendored in the PyPI sdist of llama-cpp-python
# (pinned below), fetched with `pip download --no-binary :all: --no-deps`.
# LLAMA_CPP_SRC=/path/to/llama.cpp uses an unpacked tree instead (no
# download). Everything lives in
#   ${EDGEINFER_HOME:-~/.cache/edgeinfer}/llama.cpp-pypi-<version>/
#     src/    the unpacked vendor/llama.cpp
#     build/  the CMake build folder
#     bin/    llama-bench, llama-quantize (copied when the build succeeds),
#             llama-server with --server
# A finished build is reused (idempotent). The build runs under `nice`
# with -j$(nproc); on a 2-core machine expect 10-20 minutes.
set -euo pipefail
LCP_VERSION=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
home=${EDGEINFER_HOME:-$HOME/.cache/edgeinfer}
root=$home/llama.cpp-pypi-$LCP_VERSION
force=0 use_path=1 server=0 avx2=0
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    --no-path) use_path=0 ;;
    --server) server=1 ;;
    --avx2) avx2=1 use_path=0 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "build_llama_bench.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
variant=""
[ $avx2 = 1 ] && variant=-avx2
log() { echo "build_llama_bench.sh: $*" >&2; }
trap 'log "failed (line $LINENO)"' ERR

tools=(llama-bench llama-quantize)
[ $server = 1 ] && tools+=(llama-server)

# 1. binaries already on PATH
if [ $use_path = 1 ] && [ $force = 0 ] && [ $server = 0 ]; then
  lb=$(command -v llama-bench || true) lq=$(command -v llama-quantize || true)
  if [ -n "$lb" ] && [ -n "$lq" ] && [ "$(dirname "$lb")" = "$(dirname "$lq")" ]; then
    log "using llama-bench on PATH: $lb"
    dirname "$lb"
    exit 0
  fi
fi

# 2. a finished build in the cache
have=1
for t in "${tools[@]}"; do [ -x "$root/bin$variant/$t" ] || have=0; done
if [ $force = 0 ] && [ $have = 1 ]; then
  log "cached build: $root/bin$variant"
  echo "$root/bin$variant"
  exit 0
fi

mkdir -p "$root"
exec 9>"$root/.lock"
flock 9 || true   # one build at a time

# 3. the sources
if [ -n "${LLAMA_CPP_SRC:-}" ]; then
  src=$LLAMA_CPP_SRC
  [ -f "$src/CMakeLists.txt" ] || { log "LLAMA_CPP_SRC=$src has no CMakeLists.txt"; exit 1; }
else
  src=$root/src
  if [ ! -f "$src/CMakeLists.txt" ]; then
    tmp=$(mktemp -d "$root/.dl.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    pip=()
    if [ -x "$home/venv-tools/bin/pip" ]; then pip=("$home/venv-tools/bin/pip")
    elif python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
    else python3 -m venv "$home/venv-tools" >&2; pip=("$home/venv-tools/bin/pip"); fi
    log "downloading llama-cpp-python==$LCP_VERSION sdist"
    "${pip[@]}" download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
      -d "$tmp" "llama-cpp-python==$LCP_VERSION" >&2
    tgz=$(find "$tmp" -maxdepth 1 -name 'llama_cpp_python-*.tar.gz' | head -n1)
    log "unpacking vendor/llama.cpp from $(basename "$tgz")"
    top=$(basename "$tgz" .tar.gz)   # the sdist's top folder
    tar -xzf "$tgz" -C "$tmp" "$top/vendor/llama.cpp"
    rm -rf "$src"
    mv "$tmp/$top/vendor/llama.cpp" "$src"
  fi
fi

# 4. configure and build (CPU only, static, only the two tools)
bld=$root/build$variant
cpu_flags=(-DGGML_NATIVE=ON)
[ $avx2 = 1 ] && cpu_flags=(-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON
  -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF
  -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF)
log "configuring $src -> $bld"
cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=Release \
  "${cpu_flags[@]}" -DGGML_CPU=ON \
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_OPENCL=OFF -DGGML_SYCL=OFF \
  -DGGML_HIP=OFF -DGGML_BLAS=OFF -DGGML_RPC=OFF -DGGML_OPENMP=ON \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=$([ $server = 1 ] && echo ON || echo OFF) \
  -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >&2
log "building ${tools[*]} with -j$(nproc) (slow on few cores)"
nice cmake --build "$bld" -j"$(nproc)" --target "${tools[@]}" >&2

out=$root/bin$variant
mkdir -p "$out"
for t in "${tools[@]}"; do
  f=$(find "$bld" -type f -name "$t" -perm -u+x | head -n1)
  [ -n "$f" ] || { log "build produced no $t"; exit 1; }
  cp "$f" "$out/$t.tmp" && mv "$out/$t.tmp" "$out/$t"
done
log "done: $out"
echo "$out"
