#!/usr/bin/env bash
# Build the documentation site offline: nbdev_proc_nbs + smalldocs (pure Python). With Quarto installed, nbdev_docs.
# `tools/docs.sh check` builds and then fails unless every stage page exists with its API documentation.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
rm -rf _proc _docs
"$BIN/nbdev_sidebar" --force >/dev/null 2>&1 || true     # sidebar.yml is generated from the notebooks present
if command -v quarto >/dev/null 2>&1; then
  "$BIN/nbdev_docs"
else
  "$BIN/nbdev_proc_nbs" >/dev/null
  (cd _proc && "../$BIN/smalldocs" render >/dev/null)
  [ -d _proc/_docs ] && mv _proc/_docs _docs
fi
echo "docs site: $(find _docs -name '*.html' | wc -l) pages in _docs/"
[ "${1:-}" = check ] || exit 0
# page -> names whose documentation it must show
declare -A need=(
  [index]="distilled_vit"
  [00_core]="Config get_config RunDir atomic_path ccc"
  [01_audio]="load_audio log_mel Normalizer frame_windows"
  [02_data]="load_dataset read_manifest group_split prepare_data"
  [03_train]="fit predict regression_metrics load_checkpoint"
  [04_gan]="train_gan generate_synthetic gan_stage"
  [05_teacher]="create_teacher load_timm_checkpoint forward_distill train_teacher"
  [06_student]="MobileViTStudent DSConvPatchEmbed create_student"
  [07_distill]="KnowledgeDistillationLoss distill train_student_nokd"
  [08_evaluate]="evaluate_stage write_report"
  [09_export]="export_stage"
  [10_cli]="run_pipeline main"
  [distilled_vit]="MobileViTStudent"
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
[ $fail = 0 ] && echo "docs check: all stage pages present with their API" || exit 1
