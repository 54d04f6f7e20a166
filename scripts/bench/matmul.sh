#!/usr/bin/env bash
# The quantized products of the forward (in the deployed and the float arithmetic) and of the
# backward per type (JMH), printed as GFLOP/s beside this machine's measured FP32 FMA peak.
#   scripts/bench/matmul.sh [extra JMH args, e.g. -p type=Q4_K]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
out=$root/target/bench/matmul.json
out_t=$root/target/bench/matmul-transposed.json
mkdir -p "$root/target/bench"
cd "$root"
native=$(native/build.sh | tail -1)
peak=$(bench_java io.jdpo.bench.PrintFmaPeak 2 2>/dev/null | sed -n 's/^peak_gflops=//p')
jvm="--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djdpo.native.dir=$native/lib"
bench_java org.openjdk.jmh.Main 'MatmulBench.forward' -jvmArgsAppend "$jvm" -rf json -rff "$out" "$@" >&2
# The backward's product has one arithmetic: run it once per type.
bench_java org.openjdk.jmh.Main 'MatmulBench.transposed' -p arithmetic=deployed -jvmArgsAppend "$jvm" -rf json -rff "$out_t" "$@" >&2
python3 - "$out" "$out_t" "$peak" <<'PY'
import json, sys
flops = 2 * 1024 * 1024 * 256
rows = {}
for f in sys.argv[1:3]:
    for r in json.load(open(f)):
        name = r["benchmark"].rsplit(".", 1)[1]
        key = name if name == "transposed" else r["params"]["arithmetic"]
        rows.setdefault(r["params"]["type"], {})[key] = r["primaryMetric"]["score"] * flops / 1e9
peak = float(sys.argv[3])
print(f"1024x1024 weights, 256 tokens, 2 threads; FP32 FMA peak {peak:.1f} GFLOP/s")
print(f"{'type':6} {'deployed GFLOP/s':>17} {'% peak':>7} {'float GFLOP/s':>14} {'% peak':>7} {'deployed/float':>15} {'transposed GFLOP/s':>19}")
for t, m in rows.items():
    d, f = m.get("deployed", float("nan")), m.get("float", float("nan"))
    print(f"{t:6} {d:17.1f} {100 * d / peak:6.0f}% {f:14.1f} {100 * f / peak:6.0f}% {d / f:15.2f} {m.get('transposed', float('nan')):19.1f}")
PY
