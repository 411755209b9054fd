import copy

import torch

from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_baseline_cfg
from mmstvg.utils import register_all_modules

register_all_modules()


def _build():
    cfg = get_tiny_baseline_cfg()
    cfg.pop('data_preprocessor')
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_forward_shapes():
    model = _build()
    inputs, samples = demo_grounding_inputs(batch_size=2, num_frames=8, img_shape=(64, 64))
    out = model(inputs, samples, mode='tensor')
    boxes = out['spatial']['boxes']
    assert boxes.shape == (2, 8, 4)
    assert out['temporal']['span_logits'].shape == (2, 8)
    attn = out['feats']['attn']  # the neck's attention rides along in the features
    assert attn.shape == (2, 8, 8, 8)  # the config's 2-stage ResNet: stride 8
    assert torch.allclose(attn.flatten(2).sum(-1), torch.ones(2, 8), atol=1e-5)
    assert ((boxes > 0) & (boxes < 1)).all()


def test_loss_decreases():
    model = _build()
    inputs, samples = demo_grounding_inputs(batch_size=2, num_frames=8)
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3)
    first = None
    for _ in range(25):
        losses = model(inputs, samples, mode='loss')
        assert set(losses) == {'loss_bbox', 'loss_giou', 'loss_span', 'loss_attn'}
        loss = sum(losses.values())
        first = loss.item() if first is None else first
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert loss.item() < 0.5 * first


def test_padded_frames_do_not_change_loss():
    """A padded frame (frame_mask False) must not contribute to the losses."""
    model = _build().eval()  # BN in eval: padding must not change the statistics either
    inputs, samples = demo_grounding_inputs(batch_size=1, num_frames=6)
    base = model(inputs, samples, mode='loss')
    padded = copy.deepcopy(inputs)
    padded['imgs'] = torch.cat([padded['imgs'], torch.randn(1, 2, 3, 64, 64)], 1)
    padded['frame_mask'] = torch.cat(
        [padded['frame_mask'], torch.zeros(1, 2, dtype=torch.bool)], 1)
    out = model(padded, copy.deepcopy(samples), mode='loss')
    for k in base:
        assert torch.allclose(base[k], out[k], atol=1e-5), k


def test_predict_maps_back_to_original_frames_and_pixels():
    model = _build().eval()
    inputs, samples = demo_grounding_inputs(batch_size=2, num_frames=8)
    with torch.no_grad():
        preds = model(inputs, samples, mode='predict')
    for p in preds:
        tube = p.pred_tube
        s, e = tube.span.tolist()
        assert 0 <= s < e <= 16
        ids = tube.frame_ids.tolist()
        assert ids == sorted(ids) and all(f % 2 == 0 for f in ids)  # sampled frames only
        assert all(s <= f < e for f in ids)
        assert tube.bboxes.shape == (len(ids), 4)
        # original frames are 128x128 (scale_factor 0.5 of 64x64)
        assert tube.bboxes.min() >= 0 and tube.bboxes.max() <= 128


def test_trivial_grounder():
    model = MODELS.build(dict(type='TrivialGrounder', box_ratio=(0.5, 0.5)))
    inputs, samples = demo_grounding_inputs(batch_size=1, num_frames=4)
    tube = model(inputs, samples, mode='predict')[0].pred_tube
    assert tube.span.tolist() == [0, 8]
    assert tube.frame_ids.tolist() == list(range(8))
    # 128 x 128 original frame -> centred 64 x 64 box
    assert torch.equal(tube.bboxes[0], torch.tensor([32., 32., 96., 96.]))
