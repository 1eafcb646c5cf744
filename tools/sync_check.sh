#!/usr/bin/env bash
# Fails when the committed notebooks are not cleaned, or the library/README are not what nbdev exports from them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
snap() { { git ls-files -mo --exclude-standard nbs distilled_vit README.md; } | sort | while read -r f; do
           [ -f "$f" ] && echo "$f $(sha1sum < "$f")"; done; git diff --stat -- nbs distilled_vit README.md | tail -1; }
before=$(snap)
"$BIN/nbdev_clean" >/dev/null
"$BIN/nbdev_export" >/dev/null
"$BIN/python" tools/make_readme.py >/dev/null
after=$(snap)
if [ "$before" != "$after" ]; then
  echo "ERROR: notebooks and library are out of sync (or notebooks are not cleaned)."
  echo "nbdev_clean + nbdev_export + tools/make_readme.py changed:"
  diff <(echo "$before") <(echo "$after") | grep '^>' | cut -c3- | cut -d' ' -f1 | sed 's/^/  /'
  echo "Run 'make export' and commit the result."
  exit 1
fi
echo "sync check: notebooks cleaned, library and README in sync"
# notebook code lines stay within 100 characters, so the docs site shows them whole (tools/docs_width.py checks the pages)
"$BIN/python" tools/wrap_lines.py --check >/dev/null || {
  "$BIN/python" tools/wrap_lines.py --check | tail -n 20; echo "Run 'python tools/wrap_lines.py' and commit the result."; exit 1; }
echo "line check: notebook code lines within 100 characters"
