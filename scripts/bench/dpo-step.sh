#!/usr/bin/env bash
# One LoRA-DPO training step, jdpo vs PyTorch on CPU, side by side in one run:
#   scripts/bench/dpo-step.sh [threads] [prompt] [completion] [reps]
# Step = policy forward + backward on chosen and rejected (prompt + completion tokens each),
# DPO loss, AdamW; LoRA rank 16 on all 7 projections. jdpo computes the shared prompt once for
# both completions (its trainer always does); PyTorch runs two full sequences, as TRL does.
# tokens/s counts 2 × (prompt + completion) for both; GFLOP/s counts the work each one does.
# budget = GGUF + adapter, gradient and AdamW moments + the activations kept for the backward.
# jdpo trains on the quantized GGUF (the ~0.5B-class generated Llama in Q4_K_M, and
# stories260K); PyTorch on F32 weights of the same shapes. PyTorch is Debian's python3-torch with libopenblas0-pthread (installed here
# when missing: without OpenBLAS it falls back to the reference BLAS, an unfair peer).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib.sh"
find_jdk25
threads=${1:-2}; P=${2:-128}; C=${3:-128}; reps=${4:-2}; rank=16
shared=$root/../shared/testdata/models
py=/usr/bin/python3
if ! "$py" -c "import torch" 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "installing python3-torch and libopenblas0-pthread (Debian packages) ..." >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  # A fresh machine may have empty package lists: update them when torch has no candidate.
  if ! apt-cache policy python3-torch 2>/dev/null | grep -q 'Candidate: [0-9]'; then $sudo_ apt-get update -q >/dev/null; fi
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch libopenblas0-pthread >/dev/null
fi
cd "$root"
peak=$(bench_java io.jdpo.bench.PrintFmaPeak "$threads" 2>/dev/null | sed -n 's/^peak_gflops=//p')
echo "threads $threads, prompt $P + completion $C tokens per sequence (chosen and rejected), LoRA r=$rank on all projections, mean of $reps steps after a warm-up"
echo "measured FP32 FMA peak: $peak GFLOP/s; PyTorch $("$py" -c 'import torch; print(torch.__version__)') with $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 | sed 's|.*/\([^/]*\)/libblas.so.3|\1|')"
echo
printf "%-28s %9s %9s %6s %9s %5s %9s %5s %8s %8s %8s %8s\n" model "jdpo t/s" "torch t/s" ratio "jdpo GF/s" peak "torch GF/s" peak "jdpo MiB" budget "torch MiB" "GGUF MiB"
for m in generated:Q4_K_M "$shared/stories260K.gguf"; do
  # Write the generated model first, with a heap of the default size (the step's would not hold it).
  bench_java io.jdpo.bench.DpoStepBench prepare "$m" "$shared/llama-2-tiny-random.gguf" target/bench >/dev/null 2>&1
  # The kept activations live off the heap (KeptActivations): a heap just above one layer's working
  # arrays and the output head's logits, so resident memory shows what the step needs.
  j=$(JDPO_BENCH_JAVA_OPTS="-Xmx128m -XX:MaxDirectMemorySize=2g -XX:+UseSerialGC" bench_java io.jdpo.bench.DpoStepBench "$m" "$threads" "$P" "$C" "$rank" "$reps" \
      "$shared/llama-2-tiny-random.gguf" target/bench 2>/dev/null | grep '^jdpo ')
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
  IFS=, read -r dim layers heads kv ffn vocab <<<"$(get shape "$j")"
  t=$("$py" scripts/bench/dpo_step_torch.py "$dim" "$layers" "$heads" "$kv" "$ffn" "$vocab" "$P" "$C" "$rank" "$reps" "$threads" x | grep '^torch ')
  awk -v name="$(get model "$j")" -v js="$(get secs "$j")" -v ts="$(get secs "$t")" -v fl="$(get flops "$j")" -v sf="$(get separate_flops "$j")" -v peak="$peak" \
      -v jr="$(get rss_mib "$j")" -v jb="$(get budget_mib "$j")" -v tr="$(get rss_mib "$t")" -v fm="$(get file_mib "$j")" -v tok=$((2 * (P + C))) 'BEGIN {
    printf "%-28s %9.1f %9.1f %6.2f %9.1f %4.0f%% %9.1f %4.0f%% %8.0f %8.0f %8.0f %8.1f\n", name, tok/js, tok/ts, ts/js,
      fl/js/1e9, 100*fl/js/1e9/peak, sf/ts/1e9, 100*sf/ts/1e9/peak, jr, jb, tr, fm }'
done
