#!/usr/bin/env bash
# The five pipeline steps on generated toy data, through the same tools as on
# the real datasets (docs/pipeline.md "Commands" lists them):
#   bash tools/pipeline_demo.sh [OUT] [ITERS]      (make demo-pipeline)
# OUT (default pipeline_output) receives the toy trees, the fitted GMM prior,
# the STEP 1 maps, the work dirs and the predictions of tools/infer.py.
# ITERS (default 100) is the length of STEP 2; STEP 4 runs half as long.
# A short CPU schedule: it shows every step working, not the method's gain
# (that is make demo, docs/demo.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-pipeline_output}
ITERS=${2:-100}
ST_ITERS=$(( ITERS / 2 > 0 ? ITERS / 2 : 1 ))
DDA=configs/demo/toy_syn2city_dda.py
SELF=configs/demo/toy_syn2city_selftrain.py
SYN=$OUT/data/synthia
CITY=$OUT/data/cityscapes
GMM=$OUT/gmm_toy.json
DATA_OPTS=(train_dataloader.dataset.source.data_root=$SYN
           train_dataloader.dataset.target.data_root=$CITY
           val_dataloader.dataset.data_root=$CITY
           test_dataloader.dataset.data_root=$CITY
           model.density.params=$GMM)
SCHEDULE=(train_cfg.max_iters=$ITERS train_cfg.val_interval=$ITERS
          param_scheduler.0.end=$((ITERS + 1))
          default_hooks.checkpoint.interval=$ITERS)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

step() { echo; echo "=== $1"; shift; "$@"; }

step "toy data" $PY tools/make_toy_data.py --out "$OUT/data" \
    --num-source 100 --num-target 60 --num-val 20 --seed 0 --source-view car
step "GMM prior on the toy source" $PY tools/fit_gmm.py $DDA --out "$GMM" \
    --cfg-options "train_dataloader.dataset.source.data_root=$SYN"
step "STEP 1 source density maps" $PY tools/gen_density_maps.py $DDA \
    --gmm "$GMM" --workers 2 --cfg-options "${DATA_OPTS[@]}"
step "STEP 2 DDA training" $PY tools/train.py $DDA --work-dir "$OUT/dda" \
    --cfg-options "${DATA_OPTS[@]}" "${SCHEDULE[@]}"
step "STEP 3 pseudo-labels" $PY tools/gen_pseudo_labels.py $DDA \
    "$OUT/dda/iter_$ITERS.pth" --out "$OUT/pseudo_labels" \
    --cfg-options "${DATA_OPTS[@]}"
step "STEP 4 self-training" $PY tools/train.py $SELF \
    --work-dir "$OUT/selftrain" --cfg-options \
    "load_from=$OUT/dda/iter_$ITERS.pth" \
    "train_dataloader.dataset.data_root=$CITY" \
    "train_dataloader.dataset.pseudo_label_dir=$OUT/pseudo_labels" \
    "val_dataloader.dataset.data_root=$CITY" \
    "test_dataloader.dataset.data_root=$CITY" \
    train_cfg.max_iters=$ST_ITERS train_cfg.val_interval=$ST_ITERS \
    param_scheduler.0.end=$((ST_ITERS + 1)) \
    default_hooks.checkpoint.interval=$ST_ITERS
step "STEP 5 evaluation" $PY tools/test.py $SELF \
    "$OUT/selftrain/iter_$ST_ITERS.pth" --work-dir "$OUT/test" \
    --cfg-options "test_dataloader.dataset.data_root=$CITY"
step "inference on the toy val images" $PY tools/infer.py $SELF \
    "$OUT/selftrain/iter_$ST_ITERS.pth" \
    "$CITY/leftImg8bit/val/**/*.png" --out "$OUT/infer" --panel
echo
echo "pipeline_demo: every step ran; outputs in $OUT/"
