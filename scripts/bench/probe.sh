#!/usr/bin/env bash
# One of the kernel probes under src/test/java/io/jdpo/bench, for comparing two builds back to
# back on a shared machine (run it on each, alternating, and compare the best figures):
#   scripts/bench/probe.sh MatmulProbe TYPE ROWS COLS T THREADS [transposed]
#   scripts/bench/probe.sh ForwardProbe MODEL.gguf T REPS [THREADS]
#   scripts/bench/probe.sh io.jdpo.model.AttentionProbe [PROMPT] [COMPLETION] [REPS]
# (a probe of a package-private kernel lives in that package and is named in full).
# JDPO_BENCH_JAVA_OPTS passes JVM options (e.g. -XX:MaxVectorSize=32 for 256-bit vectors).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
[ $# -ge 1 ] || { sed -n 2,8p "$0"; exit 2; }
probe=$1; shift
[[ $probe == *.* ]] || probe=io.jdpo.bench.$probe
bench_java "$probe" "$@" 2>&1 | grep -v '^WARNING'
