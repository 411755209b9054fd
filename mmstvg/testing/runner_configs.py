"""Runner-level test helpers: a tiny generated synthetic benchmark and the real synthetic
config pointed at it, shrunk to seconds."""
from mmengine.config import Config

from .tiny_models import BASELINE_CONFIG, TINY_ROBERTA, get_config_file, get_tiny_baseline_cfg


def set_synthetic_data_root(cfg: Config, data_root: str) -> Config:
    """Make every dataloader of ``cfg`` read the synthetic benchmark at ``data_root``.

    The synthetic configs derive the tokenizer path from ``data_root`` when the config file is
    parsed, so changing ``data_root`` afterwards must also move ``TokenizeText``'s
    ``tokenizer.pretrained``: this is ``--data-root``
    (:func:`mmstvg.utils.data_root.move_data_root`), which moves both.

    Args:
        cfg (Config): a config whose datasets are ``SynthSTVGDataset``.
        data_root (str): directory written by ``tools/data/synthetic/generate.py``.

    Returns:
        Config: ``cfg``, modified in place.
    """
    from mmstvg.utils.data_root import move_data_root
    move_data_root(cfg, data_root)
    return cfg


def generate_tiny_synth(root: str,
                        num_train: int = 8,
                        num_val: int = 4,
                        num_test: int = 2,
                        seed: int = 3) -> str:
    """Write a tiny synthetic benchmark (16 frames of 64x64 at 8 fps per query) to ``root``."""
    from mmstvg.datasets.synthetic import generate_synthetic_stvg
    generate_synthetic_stvg(
        root,
        num_train=num_train,
        num_val=num_val,
        num_test=num_test,
        num_frames=16,
        size=64,
        fps=8,
        seed=seed,
        workers=1,
        log=None)
    return root


def tiny_synth_cfg(data_root: str, work_dir: str, max_epochs: int = 2) -> Config:
    """The real synthetic baseline config (:data:`BASELINE_CONFIG`), shrunk to seconds: tiny
    model, 8 frames at 64x64, batch 2, one non-persistent worker (seeded the same way every
    epoch), reading the benchmark at ``data_root`` (:func:`generate_tiny_synth`)."""
    cfg = Config.fromfile(get_config_file(BASELINE_CONFIG))
    set_synthetic_data_root(cfg, data_root)
    model = get_tiny_baseline_cfg(
        text_encoder=dict(type='HFTextEncoder', config=dict(TINY_ROBERTA, pad_token_id=0)))
    cfg.model = Config(dict(model=model)).model
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.batch_size = 2
        loader.num_workers = 1
        loader.persistent_workers = False
        for t in loader.dataset.pipeline:
            if t.type == 'SampleSTVGFrames':
                t.clip_len = 8
            if t.type == 'mmaction.Resize':
                t.scale = (64, 64)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = max_epochs
    cfg.param_scheduler = [
        dict(
            type='CosineAnnealingLR',
            T_max=max_epochs,
            by_epoch=True,
            begin=0,
            end=max_epochs,
            eta_min_ratio=0.1)
    ]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0, deterministic=False)
    return cfg
