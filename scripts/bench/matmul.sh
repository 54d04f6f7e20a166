#!/usr/bin/env bash
# The quantized products of the forward and the backward per type (JMH), printed as GFLOP/s
# beside this machine's measured FP32 FMA peak.
#   scripts/bench/matmul.sh [extra JMH args, e.g. -p type=Q4_K]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
out=$root/target/bench/matmul.json
mkdir -p "$root/target/bench"
cd "$root"
native=$(native/build.sh | tail -1)
peak=$(bench_java io.jdpo.bench.PrintFmaPeak 2 2>/dev/null | sed -n 's/^peak_gflops=//p')
bench_java org.openjdk.jmh.Main MatmulBench \
  -jvmArgsAppend "--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djdpo.native.dir=$native/lib" \
  -rf json -rff "$out" "$@" >&2
python3 - "$out" "$peak" <<'PY'
import json, sys
flops = 2 * 1024 * 1024 * 256
rows = {}
for r in json.load(open(sys.argv[1])):
    rows.setdefault(r["params"]["type"], {})[r["benchmark"].rsplit(".", 1)[1]] = r["primaryMetric"]["score"] * flops / 1e9
peak = float(sys.argv[2])
print(f"1024x1024 weights, 256 tokens, 2 threads; FP32 FMA peak {peak:.1f} GFLOP/s")
print(f"{'type':6} {'forward GFLOP/s':>16} {'transposed GFLOP/s':>19} {'forward % peak':>15}")
for t, m in rows.items():
    print(f"{t:6} {m['forward']:16.1f} {m['transposed']:19.1f} {100 * m['forward'] / peak:14.0f}%")
PY
