#!/usr/bin/env bash
# One of the kernel probes under src/test/java/io/jdpo/bench, for comparing two builds back to
# back on a shared machine (run it on each, alternating, and compare the best figures):
#   scripts/bench/probe.sh MatmulProbe TYPE ROWS COLS T THREADS [transposed]
#   scripts/bench/probe.sh ForwardProbe MODEL.gguf T REPS [THREADS]
# JDPO_BENCH_JAVA_OPTS passes JVM options (e.g. -XX:MaxVectorSize=32 for 256-bit vectors).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
[ $# -ge 1 ] || { sed -n 2,6p "$0"; exit 2; }
probe=$1; shift
bench_java "io.jdpo.bench.$probe" "$@" 2>&1 | grep -v '^WARNING'
