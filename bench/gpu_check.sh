#!/usr/bin/env bash
# One prepared GPU check of the speed modes (about 3-4 minutes on one GPU).
#
# Runs, on CUDA at 760x1280 with 16 classes (configs/dda/syn2city_16cls.py,
# DeepLab-v2 ResNet-101, real widths, random weights):
#   1. bench/benchmark_train_step.py: the reference (plain loop, fp32) and
#      DDA.train_step in fp32, channels-last, bf16 AMP and bf16 AMP +
#      channels-last, each path in its own process, interleaved,
#      2 warm-up + 5 timed iterations, peak torch.cuda.max_memory_allocated;
#   2. bench/benchmark_inference.py: images/s of DDA.test_step at 760x1280
#      input, 1024x2048 prediction, fp32 / channels-last / bf16 / both;
# then writes ONE JSON: bench/results/gpu_check.json (or $1) with both
# results and the GPU name.
#
#   bash bench/gpu_check.sh [OUT_JSON]
#
# Exits non-zero without a GPU. Each step has its own time limit so that the
# whole script stays under 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python
OUT=${1:-bench/results/gpu_check.json}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)' \
    || { echo "gpu_check.sh: no CUDA GPU visible to torch" >&2; exit 3; }

start=$(date +%s)
timeout 200 "$PY" bench/benchmark_train_step.py --device cuda \
    --size 760 1280 --classes 16 --warmup 2 --iters 5 --data-samples 0 \
    --variants fp32 channels_last amp amp_channels_last \
    --out "$TMP/train_step.json"
timeout 80 "$PY" bench/benchmark_inference.py --device cuda \
    --warmup 3 --iters 20 --out "$TMP/inference.json"

"$PY" - "$TMP" "$OUT" "$start" <<'PYEOF'
import json, os, sys, time
import torch
tmp, out, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
res = dict(gpu=torch.cuda.get_device_name(), torch=torch.__version__,
           seconds=time.time() - start)
for name in ('train_step', 'inference'):
    with open(os.path.join(tmp, name + '.json')) as f:
        res[name] = json.load(f)
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
part = out + '.part'
with open(part, 'w') as f:
    json.dump(res, f, indent=1)
os.replace(part, out)
ref = {p['path']: p for p in res['train_step']['paths']}
for p in res['train_step']['paths']:
    print(f"{p['name']:<50} {p['median_s']:.3f} s/it "
          f"{p.get('ratio_to_reference_median', 1):.2f}x "
          f"{(p['memory']['cuda_peak_bytes'] or 0) / 2**30:.2f} GiB")
for r in res['inference']['variants']:
    print(f"inference {r['variant']:<20} {r['images_per_s']:.2f} images/s")
print(f"wrote {out} ({res['seconds']:.0f} s)")
PYEOF
