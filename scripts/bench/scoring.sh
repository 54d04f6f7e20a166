#!/usr/bin/env bash
# Scoring throughput through jdpo's binding vs llama-bench -p N -n 0, same model/threads/batch, one run.
#   scripts/bench/scoring.sh [threads] [tokens] [reps] [types...]
# The model is a generated Llama (dim 1024, 8 layers, ffn 2816) with stories260K's tokenizer,
# written once under target/bench and quantized there by llama.cpp through the binding.
# Columns: llama-bench with its defaults (flash attention on) and with -fa 0 (as exact scoring must
# run: llama.cpp's flash attention rounds F32 K/V to F16), a plain decode, jdpo's exact scoring of
# one sequence, and jdpo train's reference pass on the first 32 HH-RLHF pairs of
# ../shared/testdata (max length 256).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
threads=${1:-2}; tokens=${2:-512}; reps=${3:-10}; shift $(( $# < 3 ? $# : 3 )) || true
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(F32 F16 Q8_0 Q4_K_M)
tokenizer=${JDPO_BENCH_TOKENIZER:-$root/../shared/testdata/models/stories260K.gguf}
[ -f "$tokenizer" ] || { echo "scoring.sh: tokenizer source $tokenizer not found (set JDPO_BENCH_TOKENIZER to any GGUF with a tokenizer)" >&2; exit 1; }
cd "$root"
bench_java io.jdpo.bench.ScoringBench target/bench "$tokenizer" "$threads" "$tokens" "$reps" "${types[@]}"
