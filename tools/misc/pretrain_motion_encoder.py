"""Pre-train a grounder's motion branch on the synthetic benchmark's action labels: the stand-in
for the Kinetics weights of CG-STVG's / TA-STVG's VidSwin-T, at the synthetic models' size.

    python tools/misc/pretrain_motion_encoder.py \
        configs/tastvg/tastvg_r18-c16-tiny-motionpre_1xb8-t32-8e_synth.py \
        --data-root data/synth_stvg

The papers start the motion branch from Kinetics-400 (action classification) and freeze it;
the synthetic configs have no such weights at their size. This tool trains the config's
``model.motion_encoder`` alone, on the config's training videos and pipeline (random flips
included, the data preprocessor's normalisation), to say which of the generator's actions
(``mmstvg.datasets.synthetic.scene.ACTIONS``) someone in the scene performs at each sampled
frame: a multi-label, per-frame classification (binary cross-entropy through mmdet's
``CrossEntropyLoss(use_sigmoid=True)``) whose logits are a 1x1 convolution of the motion map,
max-pooled over space (so that a location's feature must see the action there). The labels
come from the generator's record of *every* actor's actions (``actors`` in the annotation),
never from the query: no sentence, target or box is read. A horizontal flip swaps 'moves left'
and 'moves right', as ``STVGFlip`` swaps them in the sentence.

What it runs is the config's ``motion_pretrain`` dict (``out``: the checkpoint, under the data
root; ``epochs``, ``lr``, ``weight_decay``, ``batch_size``, ``seed``); the arguments override it.
It writes ``{'state_dict': <the motion encoder's state dict>, 'meta': {...}}`` (the frame-level
mAP of each epoch on the val split among the meta), which the config loads through
``motion_encoder.init_cfg = dict(type='Pretrained', checkpoint=<out>)``.
``tools/analysis_tools/benchmark_suite.py`` runs this tool first when the file is missing.
"""
import argparse
import copy
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist
from torch import nn

#: the keys of a config's ``motion_pretrain`` dict and their defaults
DEFAULTS = dict(out=None, epochs=4, lr=1e-3, weight_decay=1e-4, batch_size=8, seed=0)
#: what a horizontal flip does to the action names (STVGFlip's word pairs)
FLIP_ACTIONS = {'moves left': 'moves right', 'moves right': 'moves left'}


def frame_action_labels(actors: Sequence[dict],
                        frame_inds: Sequence[int],
                        actions: Sequence[str],
                        flip: bool = False) -> np.ndarray:
    """Which actions someone performs at each frame.

    Args:
        actors (list[dict]): the generator's ``actors`` (each with ``actions``: dicts of
            ``action`` and ``span`` = [start, end), 0-based frames).
        frame_inds (Sequence[int]): (N,) 0-based frame indices.
        actions (Sequence[str]): the A class names.
        flip (bool): the frames were flipped horizontally (left and right swap).

    Returns:
        np.ndarray: (N, A) float32, 1 where an actor performs the action at the frame.
    """
    index = {a: i for i, a in enumerate(actions)}
    frames = np.asarray(frame_inds, dtype=np.int64)
    labels = np.zeros((len(frames), len(actions)), dtype=np.float32)
    for actor in actors:
        for event in actor.get('actions', []):
            name = event['action']
            if flip:
                name = FLIP_ACTIONS.get(name, name)
            if name not in index:
                raise ValueError(f'unknown action {name!r} (classes: {list(actions)})')
            start, end = event['span']
            labels[(frames >= start) & (frames < end), index[name]] = 1.
    return labels


class FrameActionHead(nn.Module):
    """Per-frame action logits from a motion map: a 1x1 convolution, max over space.

    Args:
        in_channels (int): C of the motion map.
        num_classes (int): A.
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, num_classes, kernel_size=1)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """(N, C, h, w) motion maps -> (N, A) logits."""
        return self.conv(maps).flatten(2).amax(dim=2)


def pretrain_settings(cfg: Config, overrides: Optional[dict] = None) -> dict:
    """The config's ``motion_pretrain`` with the defaults and ``overrides`` (None values
    ignored); ``out`` is required."""
    settings = dict(DEFAULTS, **cfg.get('motion_pretrain', {}))
    settings.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if not settings['out']:
        raise ValueError('no checkpoint to write: the config has no motion_pretrain.out and '
                         'no --out was given')
    return settings


class MotionPretrainer:
    """The config's motion encoder (trainable), its data preprocessor and a
    :class:`FrameActionHead`, fed by the config's train / val datasets.

    Args:
        cfg (Config): a grounder config with ``model.motion_encoder``.
        batch_size (int): videos per step.
        num_workers (int, optional): loader workers; defaults to the config's.
    """

    def __init__(self, cfg: Config, batch_size: int = 8, num_workers: Optional[int] = None):
        from mmstvg.datasets.synthetic.scene import ACTIONS
        from mmstvg.registry import MODELS
        if not cfg.model.get('motion_encoder'):
            raise ValueError('the config has no model.motion_encoder to pre-train')
        self.actions = tuple(ACTIONS)
        encoder_cfg = copy.deepcopy(cfg.model.motion_encoder)
        encoder_cfg.update(frozen=False, init_cfg=None)
        self.encoder = MODELS.build(encoder_cfg)
        self.head = FrameActionHead(self.encoder.out_channels, len(self.actions))
        self.preprocessor = MODELS.build(copy.deepcopy(cfg.model.data_preprocessor))
        self.loss = MODELS.build(dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True))
        self.loaders = {}
        for split in ('train', 'val'):
            loader_cfg = copy.deepcopy(cfg.get(f'{split}_dataloader'))
            if not loader_cfg:
                continue
            loader_cfg.batch_size = batch_size
            loader_cfg.sampler = dict(type='DefaultSampler', shuffle=split == 'train')
            if num_workers is not None:
                loader_cfg.num_workers = num_workers
                loader_cfg.persistent_workers = num_workers > 0 and loader_cfg.get(
                    'persistent_workers', False)
            self.loaders[split] = Runner.build_dataloader(loader_cfg)
        self.actors = {}
        for loader in self.loaders.values():
            dataset = loader.dataset
            for i in range(len(dataset)):
                info = dataset.get_data_info(i)
                actors = info.get('extra', {}).get('actors')
                if actors is None:
                    raise ValueError(
                        f'{dataset.ann_file}: record {info.get("qid")!r} has no `actors` '
                        '(the synthetic generator\'s record of every actor\'s actions); '
                        'this tool pre-trains on the synthetic benchmark only')
                self.actors[info['qid']] = actors

    def parameters(self) -> List[nn.Parameter]:
        return [*self.encoder.parameters(), *self.head.parameters()]

    def batch(self, data: dict, training: bool) -> Dict[str, torch.Tensor]:
        """Logits (N, A) and labels (N, A) of the batch's real frames."""
        data = self.preprocessor(data, training)
        inputs, samples = data['inputs'], data['data_samples']
        imgs, frame_mask = inputs['imgs'], inputs['frame_mask'].bool()
        labels = []
        for sample, mask in zip(samples, frame_mask):
            meta = sample.metainfo
            inds = np.asarray(meta['frame_inds'])[:int(mask.sum())]
            flip = bool(meta.get('flip')) and meta.get('flip_direction',
                                                       'horizontal') == 'horizontal'
            labels.append(frame_action_labels(self.actors[meta['qid']], inds, self.actions, flip))
        maps = self.encoder.forward_videos(imgs, frame_mask)
        return dict(logits=self.head(maps), labels=torch.from_numpy(np.concatenate(labels)))

    def step(self, data: dict, optimizer: torch.optim.Optimizer) -> float:
        """One optimisation step on the batch ``data``; returns its loss."""
        out = self.batch(data, training=True)
        loss = self.loss(out['logits'], out['labels'])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    def train_epoch(self, optimizer: torch.optim.Optimizer, log_interval: int = 25) -> float:
        """One pass over the train split; returns the mean loss."""
        self.encoder.train()
        self.head.train()
        losses = []
        for step, data in enumerate(self.loaders['train']):
            losses.append(self.step(data, optimizer))
            if log_interval and (step + 1) % log_interval == 0:
                print(
                    f'[pretrain_motion_encoder]   step {step + 1}/'
                    f'{len(self.loaders["train"])} loss {np.mean(losses[-log_interval:]):.4f}',
                    flush=True)
        return float(np.mean(losses))

    @torch.no_grad()
    def evaluate(self) -> Dict[str, float]:
        """Frame-level mAP over the action classes (mmaction2's ``mean_average_precision``)
        and the mean loss on the val split."""
        from mmaction.evaluation.functional import mean_average_precision
        self.encoder.eval()
        self.head.eval()
        scores, labels, losses = [], [], []
        for data in self.loaders['val']:
            out = self.batch(data, training=False)
            losses.append(float(self.loss(out['logits'], out['labels'])))
            scores.append(out['logits'].sigmoid().numpy())
            labels.append(out['labels'].numpy())
        scores, labels = np.concatenate(scores), np.concatenate(labels)
        return dict(
            mAP=float(mean_average_precision(list(scores.T), list(labels.T))),
            loss=float(np.mean(losses)),
            positive_rate=float(labels.mean()))


def pretrain(cfg: Config,
             out: str,
             epochs: int,
             lr: float,
             weight_decay: float,
             batch_size: int,
             seed: int,
             num_workers: Optional[int] = None) -> dict:
    """Train and save the motion encoder (module docstring); returns the meta written."""
    from mmengine.runner import set_random_seed

    from mmstvg.utils import register_all_modules
    register_all_modules()
    set_random_seed(seed)
    trainer = MotionPretrainer(cfg, batch_size, num_workers)
    optimizer = torch.optim.AdamW(trainer.parameters(), lr=lr, weight_decay=weight_decay)
    history = []
    t0 = time.time()
    for epoch in range(1, epochs + 1):
        train_loss = trainer.train_epoch(optimizer)
        row = dict(epoch=epoch, train_loss=train_loss)
        if 'val' in trainer.loaders:
            row.update({f'val_{k}': v for k, v in trainer.evaluate().items()})
        history.append(row)
        print(
            f'[pretrain_motion_encoder] epoch {epoch}/{epochs} ' +
            ' '.join(f'{k} {v:.4f}' for k, v in row.items() if k != 'epoch'),
            flush=True)
    meta = dict(
        actions=list(trainer.actions),
        epochs=epochs,
        lr=lr,
        weight_decay=weight_decay,
        batch_size=batch_size,
        seed=seed,
        history=history,
        train_s=time.time() - t0,
        motion_encoder=str(cfg.model.motion_encoder.get('type')))
    mkdir_or_exist(osp.dirname(osp.abspath(out)))
    tmp = out + '.tmp'
    torch.save(dict(state_dict=trainer.encoder.state_dict(), meta=meta), tmp)
    os.replace(tmp, out)  # a complete file or none: the suite runs the tool when it is missing
    print(f'[pretrain_motion_encoder] wrote {out}', flush=True)
    return meta


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a grounder config with model.motion_encoder')
    parser.add_argument('--out', help='checkpoint to write (default: motion_pretrain.out)')
    parser.add_argument(
        '--data-root',
        help='the synthetic benchmark (moves every path '
        'under the config\'s data root, the checkpoint included)')
    for key in ('epochs', 'batch_size', 'seed'):
        parser.add_argument(f'--{key.replace("_", "-")}', type=int)
    for key in ('lr', 'weight_decay'):
        parser.add_argument(f'--{key.replace("_", "-")}', type=float)
    parser.add_argument(
        '--num-workers', type=int, help='loader workers (default: the '
        'config\'s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.data_root:
        from mmstvg.utils.data_root import move_data_root
        move_data_root(cfg, args.data_root)
    settings = pretrain_settings(cfg, {k: getattr(args, k) for k in DEFAULTS})
    return pretrain(cfg, num_workers=args.num_workers, **settings)


if __name__ == '__main__':
    main(sys.argv[1:])
