#!/usr/bin/env bash
# Build the documentation site offline: execute a copy of the notebooks (smoke sizes), nbdev's notebook processing, then
# smalldocs (pure Python) or, when installed, Quarto. DOCS_EXECUTE=0 skips execution (pages show the committed outputs).
# `tools/docs.sh check` builds and then fails unless every stage page exists with its API documentation.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
rm -rf _proc _docs _exec
"$BIN/nbdev_sidebar" --force >/dev/null 2>&1 || true     # sidebar.yml is generated from the notebooks present
# Execute a copy (smoke sizes, as nbdev_test does) so pages show figures made by this code (the committed notebooks
# carry light outputs for GitHub: tools/notebook_outputs.py).
mkdir _exec && cp nbs/*.ipynb nbs/*.yml nbs/*.css _exec/ && cp -r nbs/images nbs/fixtures _exec/   # fixtures: reference outputs the notebooks test against
if [ "${DOCS_EXECUTE:-1}" = 1 ]; then "$BIN/python" tools/exec_nbs.py _exec; fi
# the index and the results page link figures of the committed benchmark results as ../benchmarks/... (right from
# nbs/); make them site-relative and ship the images with the site
sed -i 's#](\.\./benchmarks/results/#](benchmarks/results/#g' _exec/index.ipynb _exec/14_results.ipynb
mkdir -p _exec/benchmarks/results && cp benchmarks/results/*.png _exec/benchmarks/results/
"$BIN/python" tools/proc_nbs.py _exec >/dev/null       # nbdev_proc_nbs without its Quarto auto-install
# the browser demo (web/), with the latest `make run` export as its default model when there is one; placed before
# rendering so the site's link check sees it
if [ -d web/node_modules/onnxruntime-web ]; then
  model=""; [ -f runs/cpu/export/student_wave_int8.onnx ] && model="--model runs/cpu/export"
  "$BIN/python" tools/demo_site.py _proc/demo $model >/dev/null
fi
if command -v quarto >/dev/null 2>&1; then (cd _proc && quarto render >/dev/null)
else (cd _proc && "../$BIN/smalldocs" render 2>&1 >/dev/null | { grep -v 'output-file is not read by smalldocs' >&2 || true; })
fi
mv _proc/_docs _docs && rm -rf _exec
if [ -d _proc/demo ]; then rm -rf _docs/demo && cp -r _proc/demo _docs/demo; fi   # whole (the renderer copies only part of it)
echo "docs site: $(find _docs -name '*.html' | wc -l) pages in _docs/ (notebooks executed and site built in ${SECONDS} s)"
[ "${1:-}" = check ] || exit 0
# page -> names whose documentation it must show
declare -A need=(
  [index]="distilled_vit"
  [00_core]="Config get_config validate_config seed_everything"
  [00b_rundir]="RunDir atomic_path cached_arrays json_ready StageContext Stage stage_inputs"
  [00c_parallel]="batched parallel_map Timer get_device"
  [00a_metrics]="ccc mae va_metrics bootstrap_weights weighted_metrics torch_latency"
  [01_audio]="load_audio log_mel Normalizer frame_windows wave_windows"
  [01a_wave]="WaveFrontEnd WaveStudent"
  [01b_harmony]="harmony_features harmony_rows note_activations transcriber_path"
  [01c_musicnn]="MusiCNN musicnn_model musicnn_embed musicnn_patches musicnn_file musicnn_files read_tf_checkpoint"
  [01d_transcriber]="NoteTranscriber HarmonyRows clip_rows harmony_methods"
  [02_data]="load_dataset read_manifest group_split prepare_data run load"
  [03_train]="fit predict_windows load_checkpoint"
  [04_gan]="train_gan generate_synthetic gan_stage"
  [05_teacher]="create_teacher load_timm_checkpoint forward_distill train_teacher"
  [06_student]="MobileViTStudent DSConvPatchEmbed create_student"
  [07_distill]="KnowledgeDistillationLoss distill train_student_nokd"
  [08_evaluate]="evaluate_stage write_report"
  [09_export]="export_stage export_pte load_pte load_harmony_pte training_data"
  [09a_predict]="load_predictor predict predict_files training_note"
  [09b_score]="score score_table label_mode auc toy_bundle toy_clip"
  [10_cli]="run_pipeline pipeline main"
  [distilled_vit]="MobileViTStudent"
  [13_notebook_guide]="DISTILLED_VIT_README"
)
for f in nbs/[0-9]*.ipynb nbs/distilled_vit.ipynb; do
  [ -f "$f" ] || continue
  page=$(basename "$f" .ipynb)
  [ -n "${need[$page]+x}" ] || need[$page]=""
done
fail=0
for page in "${!need[@]}"; do
  html=$(find _docs -name "$page.html" | head -1)
  if [ -z "$html" ]; then echo "docs check: page $page.html missing"; fail=1; continue; fi
  for name in ${need[$page]}; do
    grep -q "$name" "$html" || { echo "docs check: $page.html lacks documentation of $name"; fail=1; }
  done
done
# executed pages must show their figures (a page with no <img> means the notebook's outputs were lost)
if [ "${DOCS_EXECUTE:-1}" = 1 ]; then
  for page in 01_audio 01b_harmony 01c_musicnn 02_data 04_gan 08_evaluate distilled_vit 14_results; do
    grep -q '<img' "_docs/$page.html" 2>/dev/null || { echo "docs check: $page.html shows no figure"; fail=1; }
  done
  grep -q 'whole notebook' _docs/13_notebook_guide.html || { echo "docs check: 13_notebook_guide.html lacks the cell table"; fail=1; }
  grep -q 'paired by seed' _docs/14_results.html || { echo "docs check: 14_results.html lacks the studies' tables"; fail=1; }
fi
[ -f _docs/demo/demo.html ] && [ -f _docs/demo/ort-wasm-simd-threaded.wasm ] || { echo "docs check: browser demo missing from _docs/demo/ (npm ci --prefix web)"; fail=1; }
# no code block needs a sideways scroll at a laptop's width (headless Chromium: each pre's scrollWidth vs clientWidth)
"$BIN/python" tools/docs_width.py _docs || fail=1
grep -q 'browser_demo.png' _docs/09a_predict.html 2>/dev/null || { echo "docs check: 09a_predict.html lacks the demo screenshot"; fail=1; }
[ $fail = 0 ] && echo "docs check: all stage pages present with their API and figures" || exit 1
