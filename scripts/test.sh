#!/usr/bin/env bash
# The test command: builds llama.cpp (cached), checks the bindings against its headers,
# then runs every test with Maven. Works on a fresh machine with JDK 25, Maven, CMake, gcc, npm.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
cd "$root"
# The HTML report is rendered in a real headless browser by the tests: Debian's chromium.
if ! command -v chromium >/dev/null 2>&1; then
  echo "test.sh: installing Debian's chromium for the report rendering test ..." >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  # A fresh machine may have empty package lists: update them when chromium has no candidate.
  if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $sudo_ apt-get update -q >/dev/null
  fi
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
native=$(native/build.sh | tail -1)
scripts/check-bindings.sh
# The exported API is documented: javadoc's default lint, no warning allowed.
scripts/javadoc.sh
mvn -B -ntp install -Djdpo.native.dir="$native/lib" "$@"
# The examples are an application of their own: built against the artifact just installed.
mvn -B -ntp -f examples/pom.xml package
