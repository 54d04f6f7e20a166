#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and the CUDA toolkit: llama.cpp built for CUDA, then the
# reference scoring (scoring.sh) and the sampling (sampling.sh) through jdpo's binding beside
# llama-bench on the GPU, every layer offloaded on both sides, in one run. The kernel issue's
# goal is a ratio of at least 0.95 for both.
#   scripts/bench/gpu.sh [prompt tokens] [new tokens] [reps] [types...]
# The first CUDA build takes long (about 40 minutes on 2 cores for sm_90; JDPO_CUDA_ARCHS picks
# the architecture, see native/build.sh). Without a GPU it says so and exits with status 2.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tokens=${1:-512}; new=${2:-128}; reps=${3:-10}; shift $(( $# < 3 ? $# : 3 )) || true
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(F16 Q8_0 Q4_K_M)
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  echo "gpu.sh: no NVIDIA GPU here (nvidia-smi lists none); nothing measured" >&2
  exit 2
fi
export JDPO_CUDA=1 JDPO_BENCH_NGL=${JDPO_BENCH_NGL:-99}
echo "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)"
"$root/native/build.sh" >/dev/null
threads=$(nproc)
echo; echo "== reference scoring: jdpo's exact scoring vs llama-bench -p $tokens =="
"$root/scripts/bench/scoring.sh" "$threads" "$tokens" "$reps" "${types[@]}"
echo; echo "== sampling: jdpo's Generator vs llama-bench -n $new =="
"$root/scripts/bench/sampling.sh" "$threads" "$new" "$reps" "${types[@]}"
