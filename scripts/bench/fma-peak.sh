#!/usr/bin/env bash
# This machine's FP32 FMA peak, measured twice in one sitting: by the Java FmaPeak the benches
# divide by (twelve accumulate-form Vector API chains per thread) and by a C loop of twelve
# independent chains (scripts/bench/fma-peak.c, compiled here with -O3 -march=native).
# Usage: scripts/bench/fma-peak.sh [THREADS]   (default: 2)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
threads=${1:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O3 -march=native -ffp-contract=fast -pthread -o "$out/fma-peak" "$here/fma-peak.c"
c=$("$out/fma-peak" "$threads")
java=$(bench_java io.jdpo.bench.PrintFmaPeak "$threads" 2>/dev/null | sed -n 's/^peak_gflops=//p')
echo "$c"
echo "java_peak_gflops=$java threads=$threads"
cpeak=$(sed -n 's/^c_peak_gflops=\([0-9.]*\).*/\1/p' <<<"$c")
awk -v j="$java" -v c="$cpeak" 'BEGIN { printf "java / c = %.2f\n", j / c }'
