#!/usr/bin/env bash
# Sampling throughput through jdpo's binding (Generator: llama.cpp's sampler chain, token by
# token) vs llama-bench -p 0 -n N, same model/threads, one run.
#   scripts/bench/sampling.sh [threads] [new tokens] [reps] [types...]
# Same generated model as scoring.sh (under target/bench). JDPO_BENCH_NGL=N puts N layers on a
# GPU for both sides (scripts/bench/gpu.sh sets it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
threads=${1:-2}; tokens=${2:-128}; reps=${3:-5}; shift $(( $# < 3 ? $# : 3 )) || true
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(F16 Q8_0 Q4_K_M)
tokenizer=${JDPO_BENCH_TOKENIZER:-$root/../shared/testdata/models/stories260K.gguf}
[ -f "$tokenizer" ] || { echo "sampling.sh: tokenizer source $tokenizer not found (set JDPO_BENCH_TOKENIZER to any GGUF with a tokenizer)" >&2; exit 1; }
cd "$root"
bench_java io.jdpo.bench.SamplingBench target/bench "$tokenizer" "$threads" "$tokens" "$reps" "${types[@]}"
