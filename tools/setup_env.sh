#!/usr/bin/env bash
# Create (or reuse) the project virtual environment at .venv/ and install mmstvg into it.
#
# Idempotent: a stamp keyed on the requirement files makes a second run on a ready machine a
# no-op (seconds). mmcv 2.1.0 is compiled from source once (~15 min on 2 cores); pip's wheel
# cache makes every later rebuild of the venv instant.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${MMSTVG_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

key=$(cat requirements/*.txt setup.py tools/setup_env.sh | sha1sum | cut -c1-16)
stamp="$VENV/.mmstvg-ready-$key"
if [ -f "$stamp" ]; then
  echo "[setup_env] $VENV is ready"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --quiet)
# Pins travel with every pip command, otherwise pip upgrades torch/setuptools under mmcv.
"${PIP[@]}" -r requirements/build.txt
if ! "$VENV/bin/python" -c "import mmcv.ops" >/dev/null 2>&1; then
  echo "[setup_env] building mmcv with CPU ops (first time only: ~15 min on 2 cores)"
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" "${PIP[@]}" --no-build-isolation \
    -r requirements/build.txt -r requirements/mminstall.txt mmengine==0.10.7
fi
"${PIP[@]}" -r requirements/build.txt -r requirements/mminstall.txt \
  -r requirements/runtime.txt -r requirements/tests.txt -r requirements/optional.txt \
  -r requirements/docs.txt
# Editable in setuptools' compat mode (a .pth naming the checkout), then linked for mim:
# tools/misc/link_mim.py says why mim needs both.
"${PIP[@]}" --no-build-isolation --no-deps --use-pep517 --config-settings editable_mode=compat -e .
"$VENV/bin/python" tools/misc/link_mim.py
"$VENV/bin/python" -c "import mmstvg.utils.compat, mmcv.ops, mmdet.models, mmaction.models; print('[setup_env] imports ok')"
rm -f "$VENV"/.mmstvg-ready-*
touch "$stamp"
echo "[setup_env] $VENV is ready"
