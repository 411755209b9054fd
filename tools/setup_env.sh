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
BEAT_PID=
trap '[ -z "$BEAT_PID" ] || kill "$BEAT_PID" 2>/dev/null || true' EXIT

# step DESCRIPTION COMMAND...: announce the step, run it with a heartbeat, report its time
step() {
  local what="$1" start=$SECONDS rc=0
  shift
  STEP=$((STEP + 1))
  echo "[setup_env] ($STEP/$STEPS) $what"
  (
    # sleep without the output: a sleep outliving the loop holds no pipe open
    while sleep "$HEARTBEAT" </dev/null >/dev/null 2>&1; do
      echo "[setup_env]     ... still running: $what ($((SECONDS - start)) s)"
    done
  ) &
  BEAT_PID=$!
  "$@" || rc=$?
  kill "$BEAT_PID" 2>/dev/null || true
  wait "$BEAT_PID" 2>/dev/null || true
  BEAT_PID=
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
step "mmstvg (editable)" "${PIP[@]}" --no-build-isolation --no-deps -e .
"$VENV/bin/python" -c "import mmstvg.utils.compat, mmcv.ops, mmdet.models, mmaction.models; print('[setup_env] imports ok')"
rm -f "$VENV"/.mmstvg-ready-*
touch "$stamp"
echo "[setup_env] $VENV is ready"
