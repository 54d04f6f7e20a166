#!/usr/bin/env bash
# Regenerates bindings/ with jextract from the pinned llama.cpp headers.
# Needs a `jextract` (for JDK 25) on PATH; the headers come from native/build.sh's install.
#   bindings/includes-llama.txt   every declaration of llama.h (rewritten from --dump-includes)
#   bindings/includes-ggml.txt    the few ggml declarations jdpo uses (kept by hand)
#   bindings/headers.sha256       checksums of the headers the bindings were made from
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib.sh"
command -v jextract >/dev/null || {
  echo "regen-bindings: no jextract on PATH. Build openjdk/jextract for JDK 25 (outside this repo) and put its bin/ on PATH." >&2
  exit 1; }
find_jdk25
native=$("$root/native/build.sh" | tail -1)
inc="$native/include"
out="$root/bindings"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# Relative header names keep the dump free of this machine's paths.
(cd "$inc" && jextract --dump-includes "$work/all.txt" -I . llama.h >/dev/null 2>&1)
{
  echo "# Every declaration of llama.h, written by scripts/regen-bindings.sh from jextract --dump-includes."
  grep -E '# header: (.*/)?llama\.h$' "$work/all.txt" | awk '{print $1, $2}' | sort -u
} >"$work/includes-llama.txt"
# The ggml enums jdpo reads: tensor types, log levels, device types.
grep -E '^--include-constant (GGML_TYPE_|GGML_LOG_LEVEL_|GGML_BACKEND_DEVICE_TYPE_)' "$work/all.txt" \
  | awk '{print $1, $2}' | sort -u >"$work/ggml-constants.txt"
grep -v '^#' "$out/includes-ggml.txt" >"$work/ggml.txt"

rm -rf "$work/java"
(cd "$inc" && jextract --output "$work/java" --target-package io.jdpo.bindings --header-class-name LlamaH \
   -I . @"$work/includes-llama.txt" @"$work/ggml.txt" @"$work/ggml-constants.txt" llama.h)

rm -rf "$out/java"; mv "$work/java" "$out/java"
mv "$work/includes-llama.txt" "$out/includes-llama.txt"
(cd "$inc" && sha256sum llama.h ggml.h ggml-backend.h ggml-cpu.h ggml-opt.h) >"$out/headers.sha256"
echo "regen-bindings: wrote $(find "$out/java" -name '*.java' | wc -l) files under bindings/java from $inc"
