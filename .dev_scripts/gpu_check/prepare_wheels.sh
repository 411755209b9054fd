#!/usr/bin/env bash
# Fetch what .dev_scripts/gpu_check needs on the lent GPU machine into .whl/ (git-ignored),
# for CPython 3.12 manylinux x86_64, exactly the pins of .dev_scripts/gpu_check/wheels.txt,
# --no-deps; mmcv as its source archive (built there with CPU ops). Also packs this machine's Python 3.12
# headers, if it has a Python 3.12, as a fallback for a GPU image without Python.h. Fails if
# the working tree plus .whl/ would exceed the device tool's 64 MiB limit.
#   bash .dev_scripts/gpu_check/prepare_wheels.sh   # then: the `run` call in docs/benchmarks.md
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
LIST="${WHEELS_LIST:-.dev_scripts/gpu_check/wheels.txt}"
DEST="${WHEELS_DIR:-.whl}"
PY="${PYTHON:-}"
[ -n "$PY" ] || { [ -x .venv/bin/python ] && PY=.venv/bin/python || PY=python3; }
LIMIT=$((64 * 1024 * 1024))

# keep .whl/ out of git (and so out of the tree that travels uncarried)
git check-ignore -q "$DEST/x.whl" || echo "/$DEST/" >> "$(git rev-parse --git-path info/exclude)"
rm -rf "$DEST" && mkdir -p "$DEST"
PLAT=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 \
         manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  PLAT+=(--platform "$p")
done
while read -r spec kind; do
  [ -z "$spec" ] || [[ "$spec" == \#* ]] && continue
  if [ "${kind:-}" = sdist ]; then
    # pip reads the sdist's metadata by running its setup.py: mmcv's imports torch, so use a
    # Python that has torch (the project venv) without build isolation
    "$PY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$DEST" "$spec"
  else
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
      --implementation cp --abi cp312 --abi abi3 --abi none "${PLAT[@]}" \
      --platform any -d "$DEST" "$spec"
  fi
done < "$LIST"

# Python 3.12 headers (Python.h), used only if the GPU machine's Python lacks them
PY312=""
for c in python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
  if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then PY312="$c"; break; fi
done
if [ -n "$PY312" ]; then
  inc="$("$PY312" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  [ -f "$inc/Python.h" ] && tar -czf "$DEST/python3.12-include.tar.gz" -C "$(dirname "$inc")" "$(basename "$inc")"
fi

n_expected=$(grep -cvE '^\s*(#|$)' "$LIST")
n_got=$(ls "$DEST" | grep -cvE '\-include\.tar\.gz$')
[ "$n_got" -eq "$n_expected" ] || { echo "prepare_wheels: $n_got files for $n_expected pins"; exit 1; }
whl=$(du -cb "$DEST"/* | tail -1 | cut -f1)
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | awk '/\ttotal$/ {s += $1} END {print s + 0}')
echo "prepare_wheels: $n_got files in $DEST: $((whl / 1024)) KiB; working tree $((tree / 1024)) KiB; limit $((LIMIT / 1024)) KiB"
ls -l "$DEST"
if [ $((whl + tree)) -gt "$LIMIT" ]; then
  echo "prepare_wheels: $DEST plus the working tree exceed the device tool's 64 MiB" >&2
  exit 1
fi
