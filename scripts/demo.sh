#!/usr/bin/env bash
# The main job: the whole pipeline on the demo model (jdpo demo): reference scoring by
# llama.cpp, DPO training with progress, the HTML report, adapter and merged exports, and
# generations before and after with the demo's reward. The model is $JDPO_DEMO_MODEL when set,
# else the bundled models/demo.gguf (models/build-demo-model.sh rebuilds it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model=${JDPO_DEMO_MODEL:-}
if [ -z "$model" ]; then
  if [ -f "$root/models/demo.gguf" ]; then model=$root/models/demo.gguf
  else model=$root/../shared/testdata/models/stories260K.gguf; fi
fi
[ -f "$model" ] || { echo "demo: model $model not found; set JDPO_DEMO_MODEL to a GGUF model" >&2; exit 1; }
exec "$root/scripts/jdpo" demo --model "$model" -o "${JDPO_DEMO_OUT:-$root/runs/demo}" "$@"
