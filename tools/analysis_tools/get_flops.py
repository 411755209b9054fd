"""Parameters and FLOPs of a grounder, with mmengine's complexity counter.

    python tools/analysis_tools/get_flops.py CONFIG [--num-frames 32] [--shape 96 96] \
        [--text-len 16] [--batch-size 1]

The model is built from the config with random weights (no file is read: ``init_cfg`` is
dropped and a ``pretrained`` text encoder is replaced by its random twin:
:func:`mmstvg.testing.strip_pretrained`, as in ``benchmark_model.py``) and traced on random
preprocessed inputs of the given size through its ``'tensor'`` forward (backbones, text
encoder, transformers and heads; no post-processing). FLOPs follow fvcore's convention (one
fused multiply-add = 1 FLOP), as mmengine's ``FlopAnalyzer`` counts them.
"""
import argparse
import copy

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.config import DictAction

from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, strip_pretrained
from mmstvg.utils import load_config, register_all_modules
from mmstvg.utils.data_root import add_root_arguments


class TensorForward(nn.Module):
    """Tensor-only wrapper of ``model(inputs, samples, mode='tensor')`` for jit tracing."""

    def __init__(self, model: nn.Module, samples, keys):
        super().__init__()
        self.model, self.samples, self.keys = model, samples, keys

    def forward(self, *tensors):
        inputs = dict(zip(self.keys, tensors))
        text = dict(input_ids=inputs.pop('input_ids'), attention_mask=inputs.pop('attention_mask'))
        out = self.model(dict(inputs, text=text), self.samples, mode='tensor')
        return tuple(_tensors(out))


def _tensors(out):
    """Every tensor of a (nested) dict / list / tuple output, in order."""
    if isinstance(out, torch.Tensor):
        yield out
    elif isinstance(out, dict):
        for v in out.values():
            yield from _tensors(v)
    elif isinstance(out, (list, tuple)):
        for v in out:
            yield from _tensors(v)


def complexity(model: nn.Module,
               batch_size: int,
               num_frames: int,
               shape,
               text_len: int,
               features=None) -> dict:
    """Parameters and FLOPs of ``model`` on one random batch."""
    vocab = getattr(getattr(getattr(model, 'text_encoder', None), 'model', None), 'config', None)
    inputs, samples = demo_grounding_inputs(
        batch_size,
        num_frames,
        tuple(shape),
        text_len=text_len,
        vocab_size=min(getattr(vocab, 'vocab_size', 64), 1000))
    if features is not None:
        inputs['features'] = torch.randn(batch_size, num_frames, *features)
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), False)
    flat = {k: v for k, v in data['inputs'].items() if k != 'text'}
    flat.update(data['inputs']['text'])
    keys = list(flat)
    wrapper = TensorForward(model.eval(), data['data_samples'], keys)
    analyzer = FlopAnalyzer(wrapper, tuple(flat[k] for k in keys))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    flops = analyzer.total()
    params = parameter_count(model)['']
    return dict(
        params=params,
        flops=flops,
        flops_by_module={
            k: v
            for k, v in analyzer.by_module().items() if k.count('.') == 1 and v
        })


def main(argv=None):
    parser = argparse.ArgumentParser(description='Parameters and FLOPs of a grounder')
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--num-frames', type=int, default=32)
    parser.add_argument('--shape', type=int, nargs=2, default=[96, 96], help='frame H W')
    parser.add_argument('--text-len', type=int, default=16)
    parser.add_argument(
        '--feature-shape',
        type=int,
        nargs=3,
        metavar=('H', 'W', 'C'),
        help='precomputed clip features per frame (models without a video '
        'backbone)')
    add_root_arguments(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.pretrained_root)
    torch.manual_seed(0)
    model = MODELS.build(strip_pretrained(copy.deepcopy(cfg.model.to_dict())))
    res = complexity(model, args.batch_size, args.num_frames, args.shape, args.text_len,
                     args.feature_shape)
    print(f'config: {args.config}')
    print(f'input: {args.batch_size} x {args.num_frames} frames of {args.shape[0]}x'
          f'{args.shape[1]}, {args.text_len} tokens')
    print(f'params: {res["params"] / 1e6:.2f} M')
    print(f'FLOPs: {res["flops"] / 1e9:.2f} G')
    for name, value in sorted(res['flops_by_module'].items(), key=lambda kv: -kv[1]):
        print(f'  {name:40s} {value / 1e9:9.3f} G')
    return res


if __name__ == '__main__':
    main()
