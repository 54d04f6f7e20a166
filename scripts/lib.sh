# Shared helpers for jdpo's scripts: source this file, do not run it.

# find_jdk25: sets JAVA_HOME to a JDK 25+ (JAVA_HOME if it qualifies, else /usr/lib/jvm/*25*),
# or stops with a message saying what was looked at.
find_jdk25() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/*25* /usr/lib/jvm/*-2[6-9]* /opt/java/*25* ; do
    [ -d "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$c"; export PATH="$JAVA_HOME/bin:$PATH"; return 0
    fi
  done
  echo "jdpo: no JDK 25 or newer found (looked at: ${candidates[*]:-JAVA_HOME unset, nothing under /usr/lib/jvm matching *25*})." >&2
  echo "jdpo: install a JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
}

# repo_root: the project's top-level folder.
repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# bench_java MAIN ARGS...: compiles the test classes (benchmarks live there) and runs MAIN
# with llama.cpp from native/build.sh, the Vector API and native access. Needs find_jdk25 first.
bench_java() {
  local root native cp
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  native=$("$root/native/build.sh" | tail -1)
  (cd "$root" && mvn -B -q -ntp test-compile dependency:build-classpath \
     -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null)
  cp="$root/target/test-classes:$root/target/classes:$(cat "$root/target/test-classpath.txt")"
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
    -Djdpo.native.dir="$native/lib" ${JDPO_BENCH_JAVA_OPTS:-} -cp "$cp" "$@"
}
