#!/usr/bin/env bash
# The test command: builds llama.cpp (cached), checks the bindings against its headers,
# then runs every test with Maven. Works on a fresh machine with JDK 25, Maven, CMake, gcc, npm.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
cd "$root"
native=$(native/build.sh | tail -1)
scripts/check-bindings.sh
mvn -B -ntp install -Djdpo.native.dir="$native/lib" "$@"
