#!/usr/bin/env bash
# Dequantization throughput per type: jdpo's Java (vector, scalar) vs ggml's to_float through
# the binding, one JMH run, printed as GB/s of float output and the ratio java/ggml.
#   scripts/bench/dequant.sh [extra JMH args, e.g. -p type=Q4_K,Q8_0]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
out=$root/target/bench/dequant.json
mkdir -p "$root/target/bench"
cd "$root"
native=$(native/build.sh | tail -1)
bench_java org.openjdk.jmh.Main DequantBench \
  -jvmArgsAppend "--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djdpo.native.dir=$native/lib" \
  -rf json -rff "$out" "$@" >&2
python3 - "$out" <<'PY'
import json, sys
rows = {}
for r in json.load(open(sys.argv[1])):
    t = r["params"]["type"]; m = r["benchmark"].rsplit(".", 1)[1]
    rows.setdefault(t, {})[m] = r["primaryMetric"]["score"] * 4 / 1000  # values/us -> GB/s of floats
print(f"{'type':8} {'java vector GB/s':>17} {'java scalar GB/s':>17} {'ggml GB/s':>10} {'vector/ggml':>12}")
for t, m in rows.items():
    print(f"{t:8} {m['javaVector']:17.2f} {m['javaScalar']:17.2f} {m['ggml']:10.2f} {m['javaVector']/m['ggml']:12.2f}")
PY
