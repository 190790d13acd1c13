#!/usr/bin/env bash
# Install a lock file into the active Python environment:
#
#   bash scripts/install.sh requirements.lock        # the app and the library
#   bash scripts/install.sh requirements-dev.lock    # the same plus the test tools
#
# The locks pin torch's CPU build (torch==X+cpu). PyPI does not publish it: only PyTorch's CPU index
# does, and a plain `pip install -r LOCK` fails with "No matching distribution". So torch goes first,
# on its own and without its dependencies (the lock pins those):
#   1. from what pip already has at hand (a local wheel folder in pip's find-links), with no index at
#      all: no network, no wait;
#   2. otherwise from PyTorch's CPU index alone, with a short timeout and one retry, so that an index
#      that cannot be reached costs seconds rather than pip's default minutes of retries.
# Then the whole lock from the usual index (PyPI): torch is already satisfied, so no other index is
# asked for anything, and a CUDA build is never pulled.
set -euo pipefail
lock=${1:?usage: bash scripts/install.sh LOCKFILE}
TORCH_INDEX=${CHARRNN_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
pip=(python -m pip --disable-pip-version-check)

torch=$(grep -E '^torch==' "$lock" | cut -d' ' -f1 || true)
if [ -n "$torch" ]; then
  "${pip[@]}" install --quiet --no-deps --no-index "$torch" 2>/dev/null \
    || "${pip[@]}" install --quiet --no-deps --timeout 20 --retries 1 --index-url "$TORCH_INDEX" "$torch"
fi
"${pip[@]}" install --quiet -r "$lock"
