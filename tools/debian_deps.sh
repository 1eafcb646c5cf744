#!/usr/bin/env bash
# Install the Debian packages the tests need beside Python, where missing: `make test` calls it with headless Chromium
# (the browser demo's test) and the encoders and reference decoders of tests/test_real_world_audio.py.
#   bash tools/debian_deps.sh PKG[:COMMAND]...
# A package counts as present when COMMAND (default: PKG) is on PATH. As root it runs apt-get quietly; otherwise it
# fails in one line saying exactly what to install.
set -euo pipefail
missing=()
for spec in "$@"; do
  pkg=${spec%%:*}; cmd=${spec#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the tests need ${missing[*]} (Debian packages): run  sudo apt-get install -y ${missing[*]}  (then make test)" >&2
  exit 1
fi
echo "installing the Debian packages the tests need: ${missing[*]}"
log=$(mktemp)
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"
  echo "error: apt-get could not install ${missing[*]} (its output is above)" >&2; exit 1
fi
rm -f "$log"
