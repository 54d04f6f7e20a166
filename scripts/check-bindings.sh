#!/usr/bin/env bash
# Fails when the committed bindings were generated from other headers than the pinned llama.cpp's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
native=$("$root/native/build.sh" | tail -1)
if (cd "$native/include" && sha256sum --quiet -c "$root/bindings/headers.sha256"); then
  echo "check-bindings: bindings match the pinned llama.cpp headers"
else
  echo "check-bindings: bindings/ are stale for the pinned headers in $native/include; run scripts/regen-bindings.sh" >&2
  exit 1
fi
