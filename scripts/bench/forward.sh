#!/usr/bin/env bash
# The Java forward (deployed arithmetic, the training default, and float arithmetic) vs
# llama.cpp three ways (same model, threads, T), one run: exact scoring through the binding,
# llama-bench -p T -n 0 and llama-perplexity -c T (every position's logits),
# then the forward's peak resident memory in a fresh JVM on the first type (heap capped at 40 MiB:
# the activations of T = 512 take 26 MiB of it, the deployed arithmetic's rounded copy of one product's input up to 6 MiB).
#   scripts/bench/forward.sh [threads] [T] [reps] [types...]
#   JDPO_BENCH_ARCHS="LLAMA GEMMA2 GEMMA3 PHI3" scripts/bench/forward.sh ...   (default: LLAMA)
# The model (dim 1024, 16 layers, 16 heads / 4 KV, ffn 2816, 32000-token Llama-2 vocabulary)
# is generated once per architecture under target/bench and quantized there by llama.cpp.
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
if [ ! -f "target/bench/LLAMA-1024x16-s1.${types[0]}.gguf" ]; then
  echo "(memory measured on the llama model only: add LLAMA to JDPO_BENCH_ARCHS)"; exit 0
fi
JDPO_BENCH_JAVA_OPTS="-Xmx40m -XX:+UseSerialGC" bench_java io.jdpo.bench.ForwardMemory \
  "target/bench/LLAMA-1024x16-s1.${types[0]}.gguf" "$T" "$threads"
echo
# The peer: llama.cpp's own perplexity tool on the same file, context and threads (one chunk
# of T tokens, logits at every position), its peak resident memory from GNU time.
if [ -x /usr/bin/time ]; then
  native=$("$root/native/build.sh" | tail -1)
  text=target/bench/perplexity-text.txt
  for i in $(seq 1 $(( T / 100 + 2 ))); do cat "$root/src/main/resources/io/jdpo/verify/parity-sample.txt"; done > "$text"
  kib=$(LD_LIBRARY_PATH="$native/lib" /usr/bin/time -f '%M' "$native/bin/llama-perplexity" \
          -m "target/bench/LLAMA-1024x16-s1.${types[0]}.gguf" -f "$text" -c "$T" -b "$T" -t "$threads" --chunks 1 2>&1 >/dev/null | tail -1)
  echo "llama-perplexity on the same file (c = b = $T, $threads threads): peak RSS $(( kib / 1024 )) MiB"
else
  echo "(GNU time not installed: llama.cpp's peak RSS not measured)"
fi
