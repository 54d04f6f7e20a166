#!/usr/bin/env bash
# The Java forward vs llama.cpp scoring through the binding (same model, threads, T), one run,
# then the forward's peak resident memory in a fresh JVM on the first type (heap capped at 36 MiB:
# the activations of T = 512 take 26 MiB of it).
#   scripts/bench/forward.sh [threads] [T] [reps] [types...]
# The model (dim 1024, 16 layers, 16 heads / 4 KV, ffn 2816, 32000-token Llama-2 vocabulary)
# is generated once under target/bench and quantized there by llama.cpp.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
threads=${1:-2}; T=${2:-512}; reps=${3:-3}; shift $(( $# < 3 ? $# : 3 )) || true
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(Q4_K_M Q8_0 F16)
tokenizer=${JDPO_BENCH_TOKENIZER:-$root/../shared/testdata/models/llama-2-tiny-random.gguf}
[ -f "$tokenizer" ] || { echo "forward.sh: tokenizer source $tokenizer not found (set JDPO_BENCH_TOKENIZER)" >&2; exit 1; }
cd "$root"
JDPO_BENCH_JAVA_OPTS=-Xmx8g bench_java io.jdpo.bench.ForwardBench target/bench "$tokenizer" "$threads" "$T" "$reps" "${types[@]}"
echo
JDPO_BENCH_JAVA_OPTS="-Xmx36m -XX:+UseSerialGC" bench_java io.jdpo.bench.ForwardMemory \
  "target/bench/LLAMA-1024x16-s1.${types[0]}.gguf" "$T" "$threads"
