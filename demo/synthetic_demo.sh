#!/usr/bin/env bash
# The synthetic demo: generate the benchmark, train the baseline, evaluate it against the
# trivial predictor (whole clip + centre box), write tube visualisations and a submission.
# Run through `make demo` (which sets up .venv first) or directly with .venv/bin on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

# The synthetic configs read data/synth_stvg (their tokenizer path follows data_root when the
# config is parsed; see mmstvg.testing.set_synthetic_data_root to move it).
DATA=data/synth_stvg
WORK=${WORK:-work_dirs/synthetic_demo}
CFG=configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py
TRIVIAL=configs/baselines/trivial_centre-box_synth.py
mkdir -p "$WORK"

echo "== 1/5 generate the synthetic STVG benchmark in $DATA"
python tools/data/synthetic/generate.py --out-dir "$DATA" --num-train 1000 --num-val 200 \
  --num-test 1000 --num-frames 64 --size 128 --fps 16 --seed 0 --workers 2

echo "== 2/5 train the baseline ($CFG)"
python tools/train.py "$CFG" --work-dir "$WORK/baseline"
CKPT=$(cat "$WORK/baseline/last_checkpoint")

echo "== 3/5 evaluate the baseline and the trivial predictor; draw tubes"
python tools/test.py "$CFG" "$CKPT" --work-dir "$WORK/baseline" --show-dir vis \
  --submit "$WORK/baseline_submission.json" \
  --cfg-options default_hooks.visualization.max_samples=8
python tools/test.py "$TRIVIAL" --work-dir "$WORK/trivial" \
  --submit "$WORK/trivial_submission.json"

echo "== 4/5 rescore both submissions with the stand-alone evaluator"
ANN="$DATA/anno_v2/val_v2.json"
python tools/analysis_tools/eval_submission.py --ann "$ANN" --pred "$WORK/baseline_submission.json" \
  --protocol dense | tail -n 1 > "$WORK/baseline_metrics.json"
python tools/analysis_tools/eval_submission.py --ann "$ANN" --pred "$WORK/trivial_submission.json" \
  --protocol dense | tail -n 1 > "$WORK/trivial_metrics.json"
python - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
rows = [(name, json.load(open(f'{work}/{name}_metrics.json'))) for name in ('trivial', 'baseline')]
keys = ['m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5']
print('\nSynthetic STVG val (dense protocol)')
print('| predictor | ' + ' | '.join(keys) + ' |')
print('|---|' + '---|' * len(keys))
for name, m in rows:
    print(f'| {name} | ' + ' | '.join(f'{100 * m[k]:.1f}' for k in keys) + ' |')
PY
echo "visualisations: $(ls -d "$WORK"/baseline/*/vis 2>/dev/null | tail -n 1)"

echo "== 5/5 ground a sentence in a video with the inference API (demo/demo_video.py)"
SENTENCE=$(python -c "import json; print(json.load(open('$ANN'))['val_00000.mp4']['English'])")
python demo/demo_video.py "$DATA/videos/val_00000.mp4" "$SENTENCE" "$CFG" "$CKPT" \
  --out "$WORK/demo_val_00000.mp4" --gif "$WORK/demo_val_00000.gif"
