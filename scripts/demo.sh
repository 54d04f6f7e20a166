#!/usr/bin/env bash
# The main job on the demo model. Until the bundled demo model and the DPO pipeline land
# (issue 7), it runs what exists: llama.cpp loaded in-process, greedy generation, and
# log-prob scoring of two continuations, on stories260K (../shared/testdata or $JDPO_DEMO_MODEL).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model=${JDPO_DEMO_MODEL:-$root/../shared/testdata/models/stories260K.gguf}
[ -f "$model" ] || { echo "demo: model $model not found; set JDPO_DEMO_MODEL to a GGUF model" >&2; exit 1; }
jdpo="$root/scripts/jdpo"
"$jdpo" info "$model"
echo; echo "== greedy generation"
"$jdpo" generate "$model" -p "Once upon a time" -n 48
echo; echo "== scoring two continuations of the same prompt"
"$jdpo" score "$model" -p "Once upon a time, there was a little girl named Lily." -c " She loved to play outside." | tail -1
"$jdpo" score "$model" -p "Once upon a time, there was a little girl named Lily." -c " The quantum flux inverted." | tail -1
