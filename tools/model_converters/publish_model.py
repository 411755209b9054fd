# Copyright (c) mmstvg contributors.
"""Make a training checkpoint publishable, as mmdetection's ``publish_model.py``.

    python tools/model_converters/publish_model.py \\
        work_dirs/baseline_r18-c16-s8_1xb8-t32-8e_synth/epoch_8.pth \\
        work_dirs/publish/baseline_r18-c16-s8_1xb8-t32-8e_synth_20261124.pth \\
        [--url-base https://github.com/<owner>/<repo>/releases/download/v0.1.0]

writes ``work_dirs/publish/baseline_r18-c16-s8_1xb8-t32-8e_synth_20261124-<sha256[:8]>.pth``:

- only the keys of ``--save-keys`` are kept (default ``meta`` and ``state_dict``): the
  optimizer state, the parameter schedulers, the message hub and an EMA hook's
  ``ema_state_dict`` are dropped (an EMA run's ``state_dict`` already holds the averaged
  weights: mmengine's ``EMAHook`` swaps them in before saving), which makes the file about a
  third of a training checkpoint's size;
- the input is read with ``torch.load(weights_only=True)`` (mmstvg's allow-list for
  mmengine's message hub; never ``weights_only=False``), and the output is checked to load
  with plain ``torch.load(weights_only=True)`` in a fresh interpreter, without mmstvg's
  allow-list, as anyone who downloads it will load it;
- the first 8 hex digits of the file's SHA-256 end its name (``<name>-<sha8>.pth``):
  ``torch.hub.load_state_dict_from_url(check_hash=True)``, ``STVGInferencer`` and mmengine
  check a download against them.

``--url-base`` prints the ``Weights:`` line for the model's ``metafile.yml``; the file must
then be uploaded to that address (a GitHub release asset of the repository): see
``docs/model_zoo/publishing.md``.
"""
import argparse
import hashlib
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, Sequence, Tuple

import torch

from mmstvg.utils.checkpoint_safety import safe_torch_load
from mmstvg.utils.path_guard import check_outputs_not_inputs

DEFAULT_SAVE_KEYS = ('meta', 'state_dict')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Process a checkpoint to be published')
    parser.add_argument('in_file', help='input checkpoint (a training checkpoint)')
    parser.add_argument(
        'out_file', help='output checkpoint name; "-<sha256[:8]>" is inserted before .pth')
    parser.add_argument(
        '--save-keys',
        nargs='+',
        default=list(DEFAULT_SAVE_KEYS),
        help='keys to keep in the published checkpoint (default: meta state_dict)')
    parser.add_argument(
        '--url-base',
        help='where the file will be uploaded (e.g. the release download URL '
        'https://github.com/<owner>/<repo>/releases/download/<tag>): prints the '
        'metafile\'s Weights line')
    return parser.parse_args(argv)


def sha256sum(path: str) -> str:
    """The SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def published_name(out_file: str, sha: str) -> str:
    """``out_file`` with ``-<sha[:8]>`` before its ``.pth`` (mmdetection's naming)."""
    stem = out_file[:-4] if out_file.endswith('.pth') else out_file
    return f'{stem}-{sha[:8]}.pth'


def strip_checkpoint(checkpoint: dict,
                     save_keys: Sequence[str] = DEFAULT_SAVE_KEYS) -> Tuple[dict, list]:
    """The checkpoint with only ``save_keys``; and the names of the dropped keys.

    A bare state dict (no ``state_dict`` key, only tensors) is wrapped as
    ``{'state_dict': ...}`` first.

    Raises:
        ValueError: no ``state_dict`` would be kept.
    """
    if 'state_dict' not in checkpoint and checkpoint and all(
            torch.is_tensor(v) for v in checkpoint.values()):
        checkpoint = {'state_dict': checkpoint}
    kept = {k: v for k, v in checkpoint.items() if k in save_keys}
    if 'state_dict' not in kept:
        raise ValueError(f'the checkpoint has no state_dict to publish (keys: '
                         f'{sorted(checkpoint)}; --save-keys: {list(save_keys)})')
    return kept, [k for k in checkpoint if k not in save_keys]


def check_plain_weights_only_load(path: str) -> None:
    """Load ``path`` with ``torch.load(weights_only=True)`` in a fresh interpreter that has
    not imported mmstvg (so without its allow-list).

    Raises:
        RuntimeError: the load fails (what it refused).
    """
    code = 'import sys, torch; torch.load(sys.argv[1], map_location="cpu", weights_only=True)'
    out = subprocess.run([sys.executable, '-c', code, path], capture_output=True, text=True)
    if out.returncode:
        lines = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
        raise RuntimeError(f'{path} does not load with torch.load(weights_only=True): '
                           f'{lines[-1] if lines else out.returncode}')


def process_checkpoint(in_file: str,
                       out_file: str,
                       save_keys: Sequence[str] = DEFAULT_SAVE_KEYS) -> Dict[str, object]:
    """Write the published checkpoint; returns ``dict(path, sha256, dropped)``.

    Raises:
        OverwriteInputError: ``out_file`` (or its final, hashed name) is ``in_file``.
        FileNotFoundError / UnsafeCheckpointError / CorruptCheckpointError: ``in_file``
            cannot be read safely.
        ValueError: nothing to publish. RuntimeError: the output does not load safely.
    """
    check_outputs_not_inputs({'out_file': out_file}, {'in_file': in_file})
    checkpoint, dropped = strip_checkpoint(safe_torch_load(in_file, map_location='cpu'), save_keys)
    out_dir = osp.dirname(osp.abspath(out_file))
    os.makedirs(out_dir, exist_ok=True)
    tmp_file = f'{out_file}.tmp-{os.getpid()}'
    try:
        torch.save(checkpoint, tmp_file)
        sha = sha256sum(tmp_file)
        final_file = published_name(out_file, sha)
        check_outputs_not_inputs({'published file': final_file}, {'in_file': in_file})
        check_plain_weights_only_load(tmp_file)
        os.replace(tmp_file, final_file)
    finally:
        if osp.exists(tmp_file):
            os.remove(tmp_file)
    return dict(path=final_file, sha256=sha, dropped=dropped)


def main(argv=None):
    args = parse_args(argv)
    result = process_checkpoint(args.in_file, args.out_file, args.save_keys)
    if result['dropped']:
        print(f'dropped: {", ".join(result["dropped"])} (keep them with --save-keys)')
    print(f'The published model is saved at {result["path"]} (sha256 {result["sha256"]})')
    if args.url_base:
        print('metafile entry (after uploading the file there):\n'
              f'    Weights: {args.url_base.rstrip("/")}/{osp.basename(result["path"])}')
    return result


if __name__ == '__main__':
    main()
