#!/usr/bin/env bash
# Create (or reuse) the project virtual environment at .venv/ and install mmstvg into it.
#
# Idempotent: a stamp keyed on the requirement files makes a second run on a ready machine a
# no-op (seconds). mmcv 2.1.0 is compiled from source once (~15 min on 2 cores); pip's wheel
# cache makes every later rebuild of the venv instant.
#
# Progress: one "[setup_env] (i/N) ..." line per step, pip's own output (what it collects,
# downloads, builds, with its progress bar on a terminal), a "still running" line every
# SETUP_ENV_HEARTBEAT seconds (default 60) during a step, and each step's duration.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${MMSTVG_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
HEARTBEAT="${SETUP_ENV_HEARTBEAT:-60}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

key=$(cat requirements/*.txt setup.py tools/setup_env.sh | sha1sum | cut -c1-16)
stamp="$VENV/.mmstvg-ready-$key"
if [ -f "$stamp" ]; then
  echo "[setup_env] $VENV is ready"
  exit 0
fi

STEP=0
STEPS=5

# step DESCRIPTION COMMAND...: announce the step, run it with a heartbeat, report its time
step() {
  local what="$1" start=$SECONDS rc=0
  shift
  STEP=$((STEP + 1))
  echo "[setup_env] ($STEP/$STEPS) $what"
  (
    # sleep without the output: a sleep outliving the loop holds no pipe open
    # and no orphan: the loop ends with the script ($$ is the script's pid here too)
    while sleep "$HEARTBEAT" </dev/null >/dev/null 2>&1 && kill -0 $$ 2>/dev/null; do
      echo "[setup_env]     ... still running: $what ($((SECONDS - start)) s)"
    done
  ) &
  local beat=$!
  "$@" || rc=$?
  kill "$beat" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "[setup_env] ($STEP/$STEPS) failed after $((SECONDS - start)) s: $what" >&2
    return "$rc"
  fi
  echo "[setup_env] ($STEP/$STEPS) done in $((SECONDS - start)) s"
}

make_venv() { [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"; }
step "virtual environment $VENV" make_venv

PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar on)
# Pins travel with every pip command, otherwise pip upgrades torch/setuptools under mmcv.
step "build requirements (torch, setuptools, ...)" "${PIP[@]}" -r requirements/build.txt
if ! "$VENV/bin/python" -c "import mmcv.ops" >/dev/null 2>&1; then
  step "building mmcv with CPU ops (first time only: ~15 min on 2 cores)" \
    env MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" "${PIP[@]}" --no-build-isolation \
    -r requirements/build.txt -r requirements/mminstall.txt mmengine==0.10.7
else
  step "mmcv with CPU ops: already built" true
fi
step "runtime, test, optional and docs requirements" "${PIP[@]}" -r requirements/build.txt \
  -r requirements/mminstall.txt -r requirements/runtime.txt -r requirements/tests.txt \
  -r requirements/optional.txt -r requirements/docs.txt
# Editable in setuptools' compat mode (a .pth naming the checkout), then linked for mim:
# tools/misc/link_mim.py says why mim needs both.
install_mmstvg() {
  "${PIP[@]}" --no-build-isolation --no-deps --use-pep517 \
    --config-settings editable_mode=compat -e . &&
    "$VENV/bin/python" tools/misc/link_mim.py
}
step "mmstvg (editable, linked for mim)" install_mmstvg
"$VENV/bin/python" -c "import mmstvg.utils.compat, mmcv.ops, mmdet.models, mmaction.models; print('[setup_env] imports ok')"
rm -f "$VENV"/.mmstvg-ready-*
touch "$stamp"
echo "[setup_env] $VENV is ready"
