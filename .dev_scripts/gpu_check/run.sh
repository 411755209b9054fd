#!/usr/bin/env bash
# The GPU verification kit in one command, for a bare CUDA machine (docs/benchmarks.md,
# "GPU verification kit"): install the wheels carried in .whl/
# (.dev_scripts/gpu_check/prepare_wheels.sh) into a folder on PYTHONPATH, then run every stage and write report.json / report.md to
# $OUT (or work_dirs/gpu_check). Extra arguments go to gpu_check.py (e.g. --stages kernels).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
SITE="${GPU_CHECK_SITE:-/tmp/site}"
PY="${PYTHON:-python3}"
t0=$(date +%s)
if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" .whl/*.whl || { echo "[run.sh] installing .whl/*.whl failed"; exit 1; }
  echo "[run.sh] $(ls .whl/*.whl | wc -l) wheels installed into $SITE in $(( $(date +%s) - t0 )) s"
else
  echo "[run.sh] no .whl/ folder: the model stage needs mmengine/mmdet/mmaction2 installed"
fi
export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}" GPU_CHECK_SITE="$SITE" PYTHONUNBUFFERED=1
exec "$PY" .dev_scripts/gpu_check/gpu_check.py --site "$SITE" "$@"
