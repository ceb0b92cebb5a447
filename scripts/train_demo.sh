#!/usr/bin/env bash
# The style transfer network on a CPU in one command: fetches the weights and training photos
# if missing, trains a 2-style network with configs/network.py for 2,000 steps (128 px crops,
# batch 4, width 0.5: 11.5 minutes measured alone on a 2-core Zen 5, see docs/network.md) into
# output/network_demo, then writes docs/network.md's figures (docs/figures/network_*.jpg) and
# prints the degree table.
#
# Styles: monet.jpg and stone_style.jpg from the paper's images ($IMAGES_DIR, default
# ../shared/paper/images, as the other figure scripts), painted on louvre_small.jpg, cat.jpg and
# camp-nou.jpg; without that folder, the registry's images: coffee.png (the demo's style) and
# Blinds.jpg (green stripes) on chelsea.png and china.jpg, which are also training photos.
# A finished output/network_demo is not trained again (delete it to retrain); an interrupted
# one is resumed. Extra arguments go to nst-tf-train, e.g. --num_steps=4000.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
IMAGES_DIR="${IMAGES_DIR:-../shared/paper/images}"
OUT=output/network_demo

"$PYTHON" scripts/fetch_pretrained.py --training_photos
if [ -f "$IMAGES_DIR/monet.jpg" ] && [ -f "$IMAGES_DIR/stone_style.jpg" ]; then
  STYLES="$IMAGES_DIR/monet.jpg,$IMAGES_DIR/stone_style.jpg"
  CONTENTS="$IMAGES_DIR/louvre_small.jpg,$IMAGES_DIR/cat.jpg,$IMAGES_DIR/camp-nou.jpg"
else
  echo "train_demo: no paper images in $IMAGES_DIR; using the registry's images"
  STYLES=pretrained/examples/coffee.png,pretrained/training_photos/Blinds.jpg
  CONTENTS=pretrained/examples/chelsea.png,pretrained/training_photos/china.jpg
fi

if grep -qs '"status": "completed"' "$OUT/config.json"; then
  echo "train_demo: $OUT is trained already; delete it to train again"
else
  RESUME=()
  if [ -f "$OUT/config.json" ]; then RESUME=(--resume); fi
  "$PYTHON" -m nst_tf.train_cli --styles="$STYLES" --train_images=pretrained/training_photos \
    --output_dir="$OUT" --num_steps=2000 --tensorboard=false "${RESUME[@]}" "$@"
fi
"$PYTHON" scripts/network_figures.py --model="$OUT" --contents="$CONTENTS"
echo "train_demo: network in $OUT, figures in docs/figures/network_*.jpg"
