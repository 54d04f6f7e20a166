#!/usr/bin/env bash
# Nightly-style fuzzing, longer than CI's: the GGUF reader (in a 256 MB heap, huge-array files
# included) and the preference-data reader. CI runs 20,000 cases of each in the test suite.
#   scripts/fuzz.sh [CASES] [SEED]     (default 100000 cases, seed from the clock)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
cd "$root"
cases=${1:-100000}
seed=${2:-$(date +%s)}
data=${JDPO_TESTDATA:-$root/../shared/testdata}
echo "fuzz: $cases cases, seed $seed (rerun with: scripts/fuzz.sh $cases $seed)"
mvn -B -ntp -q test-compile
cp=$(mvn -B -ntp -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)
cp="target/test-classes:target/classes:$cp"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx256m -cp "$cp" \
  io.jdpo.gguf.GgufFuzz "$data/models/stories260K.gguf" "$data/models/llama-2-tiny-random.gguf" "$work/gguf" "$cases" "$seed"
mvn -B -ntp -q surefire:test -Dtest=PreferenceFuzzTest -Djdpo.fuzz.cases="$cases" -Djdpo.fuzz.seed="$seed" \
  -Djdpo.testdata="$data"
echo "fuzz: all $cases cases of each passed"
