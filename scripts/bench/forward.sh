#!/usr/bin/env bash
# The Java forward vs llama.cpp scoring through the binding (same model, threads, T), one run.
#   scripts/bench/forward.sh [threads] [T] [reps] [types...]
# The ~0.5B-class model (dim 1024, 16 layers, 16 heads / 4 KV, ffn 2816) is generated once
# under target/bench with the 32000-token Llama-2 vocabulary and quantized there by llama.cpp.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
cd "$root"
native=$(native/build.sh | tail -1)
threads=${1:-2}; T=${2:-512}; reps=${3:-2}; shift $(( $# < 3 ? $# : 3 )) || true
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(Q4_K_M Q8_0 F16)
tokenizer=${JDPO_BENCH_TOKENIZER:-$root/../shared/testdata/models/llama-2-tiny-random.gguf}
[ -f "$tokenizer" ] || { echo "forward.sh: tokenizer source $tokenizer not found (set JDPO_BENCH_TOKENIZER)" >&2; exit 1; }
mvn -B -q -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx8g \
  -Djdpo.native.dir="$native/lib" -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
  io.jdpo.bench.ForwardBench target/bench "$tokenizer" "$threads" "$T" "$reps" "${types[@]}"
