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


@pytest.mark.parametrize('kind', ['CGSTVG', 'TASTVG'])
@pytest.mark.parametrize('training', [False, True])
def test_a_batch_gives_what_each_video_gives_alone(kind, training):
    """The forks run one video per batch; here a batch of videos with sentences and clips of
    different lengths gives each video's outputs alone (the guidance's selection and context, the
    target-aware queries, per video; in training the guidance selects by each video's GT)."""
    torch.manual_seed(0)
    guidance = dict(train_iou_thr=-2.0, test_conf_thr=0.0, test_actioness_thr=-1e9)
    cfg = _cfg(kind, **guidance) if kind == 'CGSTVG' else _cfg(kind)
    model = MODELS.build(cfg)
    inputs, samples = demo_grounding_inputs(batch_size=2, num_frames=8)
    inputs['text']['attention_mask'][1, -2:] = 0  # the second sentence is 2 tokens shorter,
    inputs['frame_mask'][1, -1] = False  # its last frame padding
    samples[1].gt_tube.frame_in_span[:3] = False  # and its GT segment another one
    for sample in samples:
        sample.set_metainfo(dict(ta_attr_labels=[1], ta_action_labels=[2, 3]))
    model.train(training)
    for module in model.modules():  # batch statistics, dropout and drop path: random
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm) or \
                'Drop' in type(module).__name__:
            module.eval()
    keys = ['layer_boxes', 'layer_seq', 'layer_queries'
            ] + (['layer_conf'] if kind == 'CGSTVG' else ['logits_frame_motion'])
    with torch.no_grad():
        batch = model.extract_feat(inputs, samples)
        for i in range(2):
            real = inputs['text']['attention_mask'][i].bool()
            one = dict(
                imgs=inputs['imgs'][i:i + 1],
                frame_mask=inputs['frame_mask'][i:i + 1],
                text=dict(
                    input_ids=inputs['text']['input_ids'][i:i + 1, real],
                    attention_mask=inputs['text']['attention_mask'][i:i + 1, real]))
            alone = model.extract_feat(one, samples[i:i + 1])
            for key in keys:
                got = batch[key][:, i] if batch[key].dim() > 2 else batch[key]
                if key == 'logits_frame_motion':  # (N,) real frames: 8 then 7
                    got = batch[key][8 * i:8 + 7 * i]
                    want = alone[key]
                else:
                    want = alone[key][:, 0]
                torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4, msg=key)


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


@pytest.mark.parametrize('kind', ['CGSTVG', 'TASTVG'])
def test_attention_training_aids(kind):
    """The synthetic configs' aids in the forks (STCAT's: the decoder's
    ``box_reference='attention'`` and ``loss_attn``): every layer's box is relative to an
    anchor centred on the centroid of the layer's cross-attention over the visual map, the
    head reads those anchors, the attention is supervised on every layer, few steps lower the
    loss; a head without anchors is refused."""
    from mmstvg.models.utils import attention_centroid
    cfg = _cfg(kind, train_iou_thr=-2.0, test_conf_thr=0.0, test_actioness_thr=-1e9) if kind == \
        'CGSTVG' else _cfg(kind)
    cfg['decoder']['box_reference'] = 'attention'
    cfg['loss_attn'] = dict(type='SpatialAttentionLoss', loss_weight=1.0)
    with pytest.raises(ValueError, match='anchor_key'):
        MODELS.build(cfg)
    cfg['spatial_head']['anchor_key'] = 'ref_anchors'
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    inputs, samples = demo_grounding_inputs(batch_size=1, num_frames=8)
    model.train()
    feats = model.extract_feat(inputs, samples)
    maps = feats['attn_maps']  # (L, B, T, h, w)
    assert maps.shape[:3] == (2, 1, 8)
    for layer in range(2):
        torch.testing.assert_close(feats['layer_anchors'][layer][0, :, :2],
                                   attention_centroid(maps[layer, 0]))
    # the head's boxes are the decoder's last boxes (relative to the same anchors)
    torch.testing.assert_close(model.spatial_head(feats)['boxes'], feats['layer_boxes'][-1])
    losses = model.loss(inputs, samples)
    assert {'loss_attn', 'd0.loss_attn'} <= set(losses)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    totals = []
    for _ in range(6):
        total, _ = model.parse_losses(model.loss(inputs, samples))
        totals.append(total.item())
        optim.zero_grad()
        total.backward()
        optim.step()
    assert totals[-1] < 0.9 * totals[0], totals


def test_every_published_config_loads_one_video_per_batch():
    """CG-STVG's and TA-STVG's published settings are one video per batch (and the dense
    protocol's passes one at a time): every loader of every config of the two forks but the
    synthetic ones (which batch 8 videos, as every synthetic config) has batch size 1."""
    import glob
    import os.path as osp

    from mmengine.config import Config
    root = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'configs')
    files = glob.glob(osp.join(root, 'cgstvg', '*.py')) + glob.glob(
        osp.join(root, 'tastvg', '*.py'))
    assert len(files) >= 10
    for f in files:
        cfg = Config.fromfile(f)
        expected = 8 if f.endswith('_synth.py') else 1
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert cfg[loader].batch_size == expected, (f, loader)


def test_word_losses_only_on_samples_with_labels():
    """TA-STVG's word losses in a batch where one query has no word labels: computed on the
    labelled query alone (not dropped for the batch, not taken against all-zero targets)."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    model = MODELS.build(_cfg('TASTVG')).train()
    inputs, samples = demo_grounding_inputs(batch_size=2, num_frames=8)
    samples[0].set_metainfo(dict(ta_attr_labels=[1], ta_action_labels=[2, 3]))
    feats = model.extract_feat(inputs, samples)
    (attr, has), (action, _) = feats['word_labels']
    assert has.tolist() == [True, False] and attr[0].tolist() == [0, 1, 0, 0, 0]
    torch.manual_seed(1)
    losses = model.loss(inputs, samples)
    torch.manual_seed(1)  # the same dropout / drop-path draws
    with torch.no_grad():
        feats = model.extract_feat(inputs, samples)
    want = F.binary_cross_entropy_with_logits(feats['logits_attr_motion'][:1], action[:1])
    torch.testing.assert_close(losses['loss_attr_motion'], want)
    samples[0].set_metainfo(dict(ta_attr_labels=None, ta_action_labels=None))
    assert 'loss_attr_motion' not in model.loss(inputs, samples)


@pytest.mark.parametrize('detach', [True, False])
def test_detach_memory_decides_what_the_frame_losses_train(detach):
    """TA-STVG reads the encoder output detached for its target-aware modules (the paper,
    ``detach_memory=True``): the frame-relevance loss of the motion tokens trains only its
    sampling module. The synthetic config's aid (``detach_memory=False``) lets it reach the
    motion branch and the encoder; the predictions do not depend on the flag."""
    torch.manual_seed(0)
    cfg = _cfg('TASTVG')
    cfg['detach_memory'] = detach
    cfg['motion_encoder']['frozen'] = False  # as the synthetic config's (the paper's is frozen)
    model = MODELS.build(cfg).train()
    inputs, samples = demo_grounding_inputs(batch_size=2, num_frames=8)
    losses = model.loss(inputs, samples)
    losses['loss_frame_motion'].backward()
    reached = {
        n.split('.')[0]
        for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0
    }
    assert 'motion_sampling' in reached
    assert ('motion_encoder' in reached) is not detach
    assert ('motion_proj' in reached) is not detach
    assert ('encoder' in reached) is not detach
    assert 'appearance_sampling' not in reached and 'decoder' not in reached
    model.eval()
    with torch.no_grad():
        tube = model.predict(inputs, samples)[0].pred_tube
        model.detach_memory = not detach
        other = model.predict(inputs, samples)[0].pred_tube
    assert torch.equal(torch.as_tensor(tube.span), torch.as_tensor(other.span))
    torch.testing.assert_close(tube.bboxes, other.bboxes)
