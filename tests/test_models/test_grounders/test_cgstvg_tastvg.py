"""CG-STVG and TA-STVG grounders at tiny size: losses, gradients, prediction, and the guidance /
target-aware paths (equality with the original code: tests/test_tools/test_compare_cgta.py)."""
import pytest
import torch

from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_stcat_cfg
from mmstvg.utils import register_all_modules

register_all_modules()


def _cfg(kind: str, **guidance):
    cfg = get_tiny_stcat_cfg()
    cfg.update(
        type=kind,
        motion_encoder=dict(
            type='VidSwinMotionEncoder',
            arch=dict(embed_dims=16, depths=[1, 1], num_heads=[2, 2]),
            window_size=(2, 7, 7),
            out_stage=1),
        motion_channels=32,
        loss_guided_attn=None)
    cfg['encoder']['type'] = 'CGSTVGEncoder'
    cfg['spatial_head']['anchor_key'] = None
    if kind == 'CGSTVG':
        cfg['decoder']['type'] = 'CGSTVGDecoder'
        cfg['decoder']['guidance'] = dict(
            type='InstanceContextGuidance', embed_dims=32, **guidance)
    else:
        cfg['decoder']['type'] = 'TASTVGDecoder'
        cfg.update(num_attr_classes=5, num_action_classes=7)
    return cfg


@pytest.mark.parametrize('kind', ['CGSTVG', 'TASTVG'])
def test_losses_gradients_and_prediction(kind):
    torch.manual_seed(0)
    # thresholds that select frames: the context path runs (GIoU > -2 always holds)
    model = MODELS.build(
        _cfg(kind, train_iou_thr=-2.0, test_conf_thr=0.0, test_actioness_thr=-1e9) if kind ==
        'CGSTVG' else _cfg(kind))
    inputs, samples = demo_grounding_inputs(batch_size=1, num_frames=8)
    samples[0].set_metainfo(dict(ta_attr_labels=[1], ta_action_labels=[2, 3]))
    model.train()
    losses = model.loss(inputs, samples)
    expected = {'loss_bbox', 'loss_giou', 'loss_sted', 'loss_actionness', 'd0.loss_bbox'}
    expected |= {'loss_conf', 'd0.loss_conf'} if kind == 'CGSTVG' else {
        'loss_frame_appearance', 'loss_frame_motion', 'loss_attr_appearance', 'loss_attr_motion'
    }
    assert expected <= set(losses)
    assert 'loss_guided_attn' not in losses
    total, _ = model.parse_losses(losses)
    total.backward()
    grads = {n for n, p in model.named_parameters() if p.grad is not None}
    if kind == 'CGSTVG':
        assert any('context_attn' in n for n in grads)  # the context reached the loss
        assert any('guidance.appearance_conf' in n for n in grads)
    else:
        assert any(n.startswith('appearance_activation') for n in grads)
        assert any(n.startswith('motion_sampling') for n in grads)
    model.eval()
    with torch.no_grad():
        tube = model.predict(inputs, samples)[0].pred_tube
    assert tube.span[0] < tube.span[1] and tube.bboxes.shape[1] == 4


def test_guidance_needs_one_video_per_batch():
    model = MODELS.build(_cfg('CGSTVG')).eval()
    inputs, samples = demo_grounding_inputs(batch_size=2, num_frames=8)
    with pytest.raises(NotImplementedError, match='batch size 1'):
        with torch.no_grad():
            model.predict(inputs, samples)


@pytest.mark.parametrize('kind', ['CGSTVG', 'TASTVG'])
def test_memory_options_change_nothing_but_memory(kind):
    """The -cp configs' options (activation checkpointing, sdpa) give the same losses and
    gradients."""
    torch.manual_seed(0)
    plain = MODELS.build(_cfg(kind))
    cfg = _cfg(kind)
    cfg['encoder'].update(with_cp=True, attn_impl='sdpa')
    cfg['decoder'].update(with_cp=True)
    cfg['motion_encoder'].update(with_cp=True)
    cp = MODELS.build(cfg)
    cp.load_state_dict(plain.state_dict())
    inputs, samples = demo_grounding_inputs(batch_size=1, num_frames=8)
    samples[0].set_metainfo(dict(ta_attr_labels=[1], ta_action_labels=[2, 3]))
    results = []
    for model in (plain, cp):
        model.train()
        torch.manual_seed(1)
        losses = model.loss(inputs, samples)
        total, _ = model.parse_losses(losses)
        total.backward()
        results.append((losses, {
            n: p.grad
            for n, p in model.named_parameters() if p.grad is not None
        }))
    (l0, g0), (l1, g1) = results
    for key in l0:
        assert torch.allclose(l0[key], l1[key], atol=1e-5), key
    assert set(g0) == set(g1)
    for key in g0:
        assert torch.allclose(g0[key], g1[key], atol=1e-4, rtol=1e-3), key


@pytest.mark.parametrize('kind', ['CGSTVG', 'TASTVG'])
def test_two_test_passes_run_one_at_a_time(kind):
    """The configs' pass_batch=1: the dense protocol's two interleaved passes, one video per
    forward (the guidance / target-aware queries are per video)."""
    cfg = _cfg(kind)
    cfg['test_cfg'] = dict(pass_batch=1)
    model = MODELS.build(cfg).eval()
    inputs, samples = demo_grounding_inputs(batch_size=1, num_frames=8)
    samples[0].set_metainfo(dict(num_passes=2))
    with torch.no_grad():
        tube = model.predict(inputs, samples)[0].pred_tube
    assert len(tube.frame_ids) >= 1
