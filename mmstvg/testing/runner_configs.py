"""Runner-level test helpers: point a synthetic config at a generated data set."""
from mmengine.config import Config


def set_synthetic_data_root(cfg: Config, data_root: str) -> Config:
    """Make every dataloader of ``cfg`` read the synthetic benchmark at ``data_root``.

    The synthetic configs derive the tokenizer path from ``data_root`` when the config file is
    parsed, so changing ``data_root`` afterwards (``--cfg-options``) must also move
    ``TokenizeText``'s ``tokenizer.pretrained``; this helper does both.

    Args:
        cfg (Config): a config whose datasets are ``SynthSTVGDataset``.
        data_root (str): directory written by ``tools/data/synthetic/generate.py``.

    Returns:
        Config: ``cfg``, modified in place.
    """
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not loader:
            continue
        loader.dataset.data_root = data_root
        for transform in loader.dataset.get('pipeline', []):
            if transform.get('type') == 'TokenizeText':
                transform.tokenizer.pretrained = f'{data_root}/tokenizer'
    return cfg
