"""Model configs with random weights: what the benchmarks and FLOP counters build, so that
no checkpoint, pretrained backbone or hub download is needed to measure a config's model."""
import os.path as osp

import mmengine

# RoBERTa-base's architecture, for a random text encoder when the weights are absent.
ROBERTA_BASE = dict(
    model_type='roberta',
    vocab_size=50265,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=514,
    type_vocab_size=1,
    pad_token_id=1)


def strip_pretrained(cfg):
    """Drop every ``init_cfg`` and swap a ``pretrained`` HF text encoder for its random
    twin (RoBERTa-base dims unless the path holds a config).

    Args:
        cfg (dict | list): a model config, changed in place.

    Returns:
        dict | list: ``cfg``.
    """
    if isinstance(cfg, dict):
        cfg.pop('init_cfg', None)
        if cfg.get('type') == 'HFTextEncoder' and cfg.get('pretrained'):
            path = cfg.pop('pretrained')
            if osp.isfile(osp.join(path, 'config.json')):
                cfg['config'] = mmengine.load(osp.join(path, 'config.json'))
            else:
                cfg['config'] = dict(ROBERTA_BASE)
        for v in cfg.values():
            strip_pretrained(v)
    elif isinstance(cfg, (list, tuple)):
        for v in cfg:
            strip_pretrained(v)
    return cfg
