"""GKCMN and BM grounders on precomputed feature maps: shapes, training, prediction."""
import torch

from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_gkcmn_cfg
from mmstvg.utils import register_all_modules

register_all_modules()


def _inputs(batch_size=2, num_frames=8):
    inputs, samples = demo_grounding_inputs(batch_size, num_frames, img_shape=(48, 48))
    inputs.pop('imgs')
    g = torch.Generator().manual_seed(1)
    inputs['features'] = torch.randn(batch_size, num_frames, 4, 4, 16, generator=g)
    return inputs, samples


def _steps_lower_loss(model, inputs, samples, steps=8):
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(steps):
        total = sum(model(inputs, samples, mode='loss').values())
        first = float(total) if first is None else first
        optim.zero_grad()
        total.backward()
        optim.step()
    return first, float(sum(model(inputs, samples, mode='loss').values()))


def test_gkcmn_losses_training_and_prediction():
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_gkcmn_cfg())
    inputs, samples = _inputs()
    losses = model(inputs, samples, mode='loss')
    assert {'loss_heatmap', 'loss_bbox', 'loss_conf', 'loss_offset'} <= set(losses)
    first, last = _steps_lower_loss(model, inputs, samples)
    assert last < first
    model.eval()
    with torch.no_grad():
        results = model(inputs, samples, mode='predict')
    for s in results:
        start, end = s.pred_tube.span.tolist()
        assert 0 <= start < end <= 16
        assert s.pred_tube.bboxes.shape == (len(s.pred_tube.frame_ids), 4)
        assert (s.pred_tube.bboxes >= 0).all() and (s.pred_tube.bboxes <= 96).all()


def test_bm_has_no_mixed_conv_nor_location_heads():
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_gkcmn_cfg(bm=True))
    assert model.mixed_conv is None and model.temporal_head.in_key == 'seq'
    inputs, samples = _inputs()
    losses = model(inputs, samples, mode='loss')
    assert 'loss_span' in losses and 'loss_conf' not in losses
    first, last = _steps_lower_loss(model, inputs, samples)
    assert last < first
    model.eval()
    with torch.no_grad():
        results = model(inputs, samples, mode='predict')
    assert all(s.pred_tube.span[1] > s.pred_tube.span[0] for s in results)


def test_masks_without_padded_steps_are_skipped_exactly():
    """Issue 28: without padded steps the step masks are the identity and are not applied;
    the fused maps are those of applying them (x * 1 == x), and padded steps are still
    zeroed when there are some."""
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_gkcmn_cfg()).eval()
    inputs, samples = _inputs()
    assert bool(inputs['frame_mask'].all())
    with torch.no_grad():
        feats = model.extract_feat(inputs, samples)
        maps = model.extract_clip_feats(inputs)
        text = model.text_encoder(**inputs['text'])
        ones = torch.ones_like(inputs['frame_mask'])[:, None, :, None, None].float()
        manual = model.mixed_conv(
            model.interaction(maps * ones, text['tokens'], text['mask']) * ones) * ones
    assert torch.equal(feats['maps'], manual)
    padded = dict(inputs, frame_mask=inputs['frame_mask'].clone())
    padded['frame_mask'][0, -3:] = False
    with torch.no_grad():
        maps = model.extract_feat(padded, samples)['maps']
    assert (maps[0, :, -3:] == 0).all() and not (maps[1, :, -3:] == 0).all()
