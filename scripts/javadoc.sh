#!/usr/bin/env bash
# Builds the javadoc of every package module-info.java exports, with javadoc's default lint,
# and fails when javadoc prints any warning (the library promises documented API).
# Usage: scripts/javadoc.sh [--count|--files]   (the warnings per package or per file; never fails)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
cd "$root"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mvn -B -q -ntp dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=compile > "$work/mvn.log" 2>&1 \
  || { cat "$work/mvn.log" >&2; exit 1; }
# Class-path mode over a copy without module-info: the module graph of Jinjava's dependencies
# (two jars with javax.annotation) does not resolve on a module path, and javadoc only needs
# the exported packages' sources and the compile class path.
mkdir -p "$work/src"
cp -r src/main/java/io "$work/src/"
cp -r bindings/java/io/jdpo/bindings "$work/src/io/jdpo/"
packages=$(sed -n 's/^ *exports \([a-z.]*\);/\1/p' src/main/java/module-info.java)
# shellcheck disable=SC2086
javadoc -quiet -Xmaxwarns 100000 -d "$work/doc" --source-path "$work/src" -cp "$(cat "$work/cp.txt")" \
  --add-modules jdk.incubator.vector $packages > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
warnings=$(grep -v 'incubating module' "$work/log" | grep 'warning:' || true)
count=$(printf '%s' "$warnings" | grep -c 'warning:' || true)
if [ "${1:-}" = --count ] || [ "${1:-}" = --files ]; then
  if [ "$1" = --count ]; then pattern="s|^$work/src/\(.*\)/[^/]*\.java:.*|\1|p"; else pattern="s|^$work/src/\([^:]*\):.*|\1|p"; fi
  printf '%s\n' "$warnings" | sed -n "$pattern" | sort | uniq -c
  echo "javadoc: $count warnings"
  exit 0
fi
if [ "$count" -gt 0 ]; then
  printf '%s\n' "$warnings" | sed "s|$work/src/|src/main/java/|" | head -50 >&2
  echo "javadoc: $count warnings (the first 50 above); every exported public API carries its comment" >&2
  exit 1
fi
echo "javadoc: no warnings"
