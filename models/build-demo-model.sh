#!/usr/bin/env bash
# Rebuilds models/demo.gguf from nothing, reproducibly: jdpo generates a story corpus from a
# seed (io.jdpo.demo.DemoCorpus), builds a SentencePiece-style vocabulary from it, writes a
# fresh Llama (dim 128, 4 blocks, 4 heads, ffn 384, context 256, tied embeddings, F32) and
# pretrains every weight in Java (demo.FullParameterModel, train.AdamW). The same seed and
# thread count give the same file bit for bit (measured: about 5 minutes on 2 cores, and the
# same SHA-256 on a second run). Also writes models/demo-prefs.jsonl, the demo preference set.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/jdpo" build-demo-model -o "$root/models/demo.gguf" --stories 20000 --steps 800 --seed 1 -t 2 "$@"
