"""Distributed start-up on CPU-only machines.

mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` unconditionally for the
``pytorch`` and ``slurm`` launchers, so a gloo (CPU) run cannot start through the Runner;
its default DDP wrapper also passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for a CPU
module. ``tools/train.py`` / ``tools/test.py`` therefore initialise the gloo process group
here before building the Runner (the Runner then sees an initialised group and skips its own
``init_dist``) and wrap the model with ``device_ids=None``.
"""
import os
import subprocess

import torch
import torch.distributed as dist


def _slurm_env_to_torch_env(port: int = 29500) -> None:
    """Translate SLURM's variables into the ones ``init_process_group('env://')`` reads."""
    proc_id = int(os.environ['SLURM_PROCID'])
    ntasks = int(os.environ['SLURM_NTASKS'])
    node_list = os.environ['SLURM_NODELIST']
    if 'MASTER_ADDR' not in os.environ:
        addr = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
        os.environ['MASTER_ADDR'] = addr
    os.environ.setdefault('MASTER_PORT', str(port))
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['RANK'] = str(proc_id)
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Start a gloo process group when a launcher is used on a machine without CUDA.

    Args:
        cfg (mmengine.Config): the run's config; ``model_wrapper_cfg`` is set so that DDP
            wraps the CPU model with ``device_ids=None``, and under ``FlexibleRunner`` with
            mmengine's ``FSDPStrategy`` (which gives FSDP ``device_id=LOCAL_RANK``, a CUDA
            device) its ``model_wrapper`` gets ``device_id=None``: FSDP shards the model where
            the CPU.
        launcher (str): 'none' | 'pytorch' | 'slurm' | 'mpi'.

    Returns:
        bool: True when this function initialised the process group.
    """
    if launcher == 'none' or torch.cuda.is_available() or dist.is_initialized():
        return False
    if launcher == 'slurm':
        _slurm_env_to_torch_env(cfg.get('env_cfg', {}).get('dist_cfg', {}).get('port', 29500))
    elif launcher != 'pytorch':
        raise NotImplementedError(f'launcher {launcher!r} is not supported on CPU')
    timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
    kwargs = {}
    if timeout is not None:
        import datetime
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    dist.init_process_group(backend='gloo', **kwargs)
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    strategy = cfg.get('strategy')
    if strategy is not None and strategy.get('type') == 'FSDPStrategy':
        fsdp = dict(strategy.get('model_wrapper') or {})
        fsdp['device_id'] = 'cpu'
        strategy['model_wrapper'] = fsdp
    return True
