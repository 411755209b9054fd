"""The tiny Qwen2-VL / Qwen2.5-VL / Qwen3-VL configs through tools/test.py on the synthetic
benchmark: a scored submission with every query, the parse statuses counted; the
submission rescored by eval_submission.py agrees with the metric."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from .conftest import REPO

pytestmark = pytest.mark.slow

CONFIGS = {
    'qwen2_vl': 'configs/mllm/mllm_qwen2-vl-tiny_1xb2-2fps-1e_synth.py',
    'qwen2_5_vl': 'configs/mllm/mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py',
    'qwen3_vl': 'configs/mllm/mllm_qwen3-vl-tiny_1xb2-2fps-1e_synth.py',
}


def _run(*args):
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.mark.parametrize('family', list(CONFIGS))
def test_tiny_mllm_test_py_end_to_end(family, tiny_synth_root, tmp_path):
    sub = str(tmp_path / 'sub.json')
    dump = str(tmp_path / 'dump.pkl')
    out = _run('tools/test.py', CONFIGS[family], '--work-dir', str(tmp_path / 'work'), '--submit',
               sub, '--dump', dump, '--cfg-options',
               f'test_dataloader.dataset.data_root={tiny_synth_root}')
    assert 'm_vIoU' in out and 'parse/failed' in out
    entries = json.load(open(sub))
    val = json.load(open(osp.join(tiny_synth_root, 'anno_v2', 'val_v2.json')))
    assert set(entries) == set(val)  # every query, none dropped
    logged = [
        json.loads(line) for root, _, files in os.walk(tmp_path / 'work') for f in files
        if f.endswith('.json') and f[0].isdigit() for line in open(osp.join(root, f))
    ][-1]
    statuses = ('no_answer', 'bad_span', 'out_of_range', 'no_boxes', 'repaired', 'ok')
    assert sum(logged[f'parse/{s}'] for s in statuses) == len(val)
    # the stand-alone evaluator agrees (a failed answer's empty tube is a malformed entry:
    # --skip-invalid scores it 0, as the metric does)
    rescored = json.loads(
        _run('tools/analysis_tools/eval_submission.py', '--ann',
             osp.join(tiny_synth_root, 'anno_v2', 'val_v2.json'), '--pred', sub, '--protocol',
             'dense', '--skip-invalid').strip().splitlines()[-1])
    for key in ('m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5'):
        assert rescored[key] == pytest.approx(logged[key], abs=1e-4), key
    import pickle
    samples = pickle.load(open(dump, 'rb'))
    assert all('answer' in s and s['parse_status'] in statuses for s in samples)


def test_tiny_lora_train_then_test(tiny_synth_root, tmp_path):
    """tools/train.py fine-tunes the tiny Qwen2.5-VL's LoRA adapters (SFT) and validates;
    tools/test.py scores the checkpoint."""
    pytest.importorskip('peft')
    cfg = 'configs/mllm/mllm_qwen2-5-vl-tiny-lora_1xb2-2fps-1e_synth.py'
    roots = [
        f'{loader}.dataset.data_root={tiny_synth_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    work = str(tmp_path / 'work')
    out = _run('tools/train.py', cfg, '--work-dir', work, '--cfg-options',
               'default_hooks.logger.interval=1', *roots)
    assert 'loss_sft' in out and 'parse/failed' in out
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.exists(ckpt)
    out = _run('tools/test.py', cfg, ckpt, '--work-dir', str(tmp_path / 'test'), '--cfg-options',
               *roots)
    assert 'm_vIoU' in out


def test_tiny_fsdp_two_cpu_processes(tiny_synth_root, tmp_path):
    """The sharded route: FlexibleRunner + FSDPStrategy, 2 processes over gloo on a CPU-only
    machine (tools/dist_train.sh); its full checkpoint is tested by the unsharded config."""
    if torch.cuda.is_available():
        pytest.skip('the CPU route (gloo) is what this test covers')
    cfg = 'configs/mllm/mllm_qwen2-5-vl-tiny-fsdp_2xb1-2fps-1e_synth.py'
    work = str(tmp_path / 'work')
    env = dict(
        os.environ,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'],
        PORT='29531',
        OMP_NUM_THREADS='1')
    roots = [
        f'{loader}.dataset.data_root={tiny_synth_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work, '--cfg-options', *roots],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'FSDP' in log and 'loss_sft' in log and 'parse/failed' in log
    ckpt = osp.join(work, 'epoch_1.pth')
    state = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert any(k.startswith('mllm.model.language_model.') for k in state)
    assert not any('_fsdp_wrapped_module' in k or 'flat_param' in k for k in state)
    out = _run('tools/test.py', 'configs/mllm/mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py', ckpt,
               '--work-dir', str(tmp_path / 'test'), '--cfg-options', roots[-1])
    assert 'm_vIoU' in out
