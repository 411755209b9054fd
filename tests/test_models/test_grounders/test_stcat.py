"""STCAT grounder (the STCAT family's shared components): shapes, the features and heads it
shares with the other grounders, training, decoding with the released span rule, and
independence of the padding."""
import copy

import pytest
import torch

from mmstvg.models.heads import BaseSpatialHead, BaseTemporalHead
from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_stcat_cfg
from mmstvg.utils import register_all_modules

register_all_modules()


def _model(seed=0, **options):
    torch.manual_seed(seed)
    model = MODELS.build(dict(get_tiny_stcat_cfg(), **options))
    model.init_weights()
    return model


def _train_steps(model, inputs, samples, steps=6):
    """Total losses of ``steps`` AdamW steps (lr 1e-3) on one batch."""
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    totals = []
    for _ in range(steps):
        total = sum(model(inputs, samples, mode='loss').values())
        totals.append(total.item())
        optim.zero_grad()
        total.backward()
        optim.step()
    return totals


def test_forward_shapes_and_features():
    model = _model()
    assert isinstance(model.spatial_head, BaseSpatialHead)
    assert isinstance(model.temporal_head, BaseTemporalHead)
    inputs, samples = demo_grounding_inputs(2, 10, img_shape=(48, 48))
    out = model(inputs, samples, mode='tensor')
    assert out['spatial']['boxes'].shape == (2, 10, 4)
    assert out['temporal']['sted_logits'].shape == (2, 10, 2)
    assert out['temporal']['actionness_logits'].shape == (2, 10)
    feats = out['feats']
    assert feats['queries'].shape == feats['seq'].shape == (2, 10, 32)
    assert feats['ref_anchors'].shape == (2, 10, 4)
    assert feats['layer_queries'].shape == feats['layer_seq'].shape == (2, 2, 10, 32)
    assert feats['layer_anchors'].shape == (2, 2, 10, 4)
    attn = feats['self_attn']
    assert attn.shape == (2, 2, 10, 10)
    torch.testing.assert_close(attn.sum(-1), torch.ones(2, 2, 10))
    # the second layer's anchors are the first layer's boxes (anchor refinement)
    first = model.spatial_head(
        dict(feats, queries=feats['layer_queries'][0],
             ref_anchors=feats['layer_anchors'][0]))['boxes']
    torch.testing.assert_close(feats['layer_anchors'][1], first)


def test_few_steps_lower_the_loss():
    model = _model()
    inputs, samples = demo_grounding_inputs(2, 10, img_shape=(48, 48))
    losses = model(inputs, samples, mode='loss')
    last = {'loss_bbox', 'loss_giou', 'loss_sted', 'loss_actionness', 'loss_guided_attn'}
    assert set(losses) == last | {f'd0.{k}' for k in last}  # auxiliary losses, 2 layers
    totals = _train_steps(model, inputs, samples)
    assert model.image_backbone.layer2[0].conv1.weight.grad is not None
    with torch.no_grad():
        totals.append(float(sum(model(inputs, samples, mode='loss').values())))
    assert totals[-1] < 0.9 * totals[0], totals


def test_without_aux_loss_actionness_and_guided_attention():
    model = _model(aux_loss=False, loss_guided_attn=None)
    model.temporal_head.actionness = None
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    assert set(model(inputs, samples, mode='loss')) == {'loss_bbox', 'loss_giou', 'loss_sted'}


def test_predict_spans_run_from_first_to_last_sampled_frame():
    model = _model()
    model.eval()
    inputs, samples = demo_grounding_inputs(2, 10, img_shape=(48, 48))
    with torch.no_grad():
        out = model(inputs, samples, mode='tensor')
        results = model(inputs, copy.deepcopy(samples), mode='predict')
    steds = model.temporal_head.predict_by_feat(out['temporal'], inputs['frame_mask'])
    for result, (s, e, score) in zip(results, steds):
        inds = result.metainfo['frame_inds']
        tube = result.pred_tube
        assert tube.span.tolist() == [inds[s], inds[e] + 1]
        assert tube.bboxes.shape == (e - s + 1, 4)
        assert tube.bboxes.max() <= 96


def test_padded_frames_change_nothing():
    """A video padded in a batch with a longer one gets the outputs it gets alone."""
    model = _model()
    model.eval()
    inputs, samples = demo_grounding_inputs(2, 12, img_shape=(48, 48))
    inputs['frame_mask'][1, 7:] = False
    inputs['imgs'][1, 7:] = 0
    alone = dict(
        imgs=inputs['imgs'][1:, :7],
        frame_mask=inputs['frame_mask'][1:, :7],
        text={
            k: v[1:]
            for k, v in inputs['text'].items()
        })
    with torch.no_grad():
        batch = model(inputs, samples, mode='tensor')
        single = model(alone, samples[1:], mode='tensor')
    for part, key in (('spatial', 'boxes'), ('temporal', 'sted_logits'), ('temporal',
                                                                          'actionness_logits')):
        torch.testing.assert_close(batch[part][key][1, :7], single[part][key][0])
    torch.testing.assert_close(batch['feats']['self_attn'][:, 1, :7, :7],
                               single['feats']['self_attn'][:, 0])


def test_memory_options_keep_the_outputs():
    """Activation checkpointing and the fused attention kernel change no output."""
    model = _model()
    inputs, samples = demo_grounding_inputs(1, 6, img_shape=(48, 48))
    cfg = get_tiny_stcat_cfg()
    cfg['encoder'].update(with_cp=True, attn_impl='sdpa')
    cfg['decoder'].update(with_cp=True)
    cfg['image_backbone'].update(with_cp=True)
    torch.manual_seed(1)
    other = MODELS.build(cfg)
    other.load_state_dict(model.state_dict())
    for m in (model, other):
        m.train()
        for mod in m.modules():
            if isinstance(mod, torch.nn.Dropout):
                mod.p = 0.0
    torch.testing.assert_close(
        sum(other(inputs, samples, mode='loss').values()),
        sum(model(inputs, samples, mode='loss').values()))


def test_two_pass_test_takes_the_union_of_the_passes_spans():
    """The dense protocol's two interleaved passes: with ``pass_merge='union'`` (default) the
    span runs from the earlier pass start to the later pass end, each decoded on its own (the
    released evaluators); ``'mean'`` decodes one span from the averaged logits."""
    model = _model()
    model.eval()
    inputs, samples = demo_grounding_inputs(1, 10, img_shape=(48, 48))
    samples[0].set_metainfo(dict(num_passes=2))
    with torch.no_grad():
        union = model.predict(inputs, copy.deepcopy(samples))[0]
        # the passes by hand: positions q, q + 2, ... of the sample, as BaseGrounder splits them
        passes = model._pass_inputs(inputs, 0, 5, 2)
        out = model(passes, [copy.deepcopy(samples[0]) for _ in range(2)], mode='tensor')
    inds = union.metainfo['frame_inds']
    firsts, lasts = [], []
    for q, (s, e, _) in enumerate(
            model.temporal_head.predict_by_feat(out['temporal'], passes['frame_mask'])):
        firsts.append(inds[s * 2 + q])
        lasts.append(inds[e * 2 + q] + 1)
    assert union.pred_tube.span.tolist() == [min(firsts), max(lasts)]
    model.pass_merge = 'mean'
    with torch.no_grad():
        mean = model.predict(inputs, copy.deepcopy(samples))[0]
    s, e, _ = model.temporal_head.predict_by_feat(out['temporal'], passes['frame_mask'], 2)[0]
    assert mean.pred_tube.span.tolist() == [inds[2 * s], inds[2 * e + 1] + 1]


def test_odd_frame_count_runs_the_last_pass_one_frame_shorter():
    """An odd frame count of the dense protocol: SampleSTCATFrames appends a copy of the last
    frame (``pass_pad_frames``); with ``pass_merge='union'`` it is a padded frame of the second
    pass, which then gives what the released code's shorter pass gives (the odd frames alone),
    its span ends at a real frame and the copy gets no box."""
    model = _model()
    model.eval()
    inputs, samples = demo_grounding_inputs(1, 8, img_shape=(48, 48))
    inds = samples[0].metainfo['frame_inds']
    inds[7] = inds[6]  # 7 real frames and the copy of the last one
    samples[0].set_metainfo(dict(num_passes=2, pass_pad_frames=1, frame_inds=inds))

    def alone(positions):
        one = dict(
            inputs,
            imgs=inputs['imgs'][:, positions],
            frame_mask=inputs['frame_mask'][:, positions])
        return model(one, [copy.deepcopy(samples[0])], mode='tensor')

    with torch.no_grad():
        out = model._run_passes(inputs, 0, samples[0], 4, 2)
        even, odd = alone([0, 2, 4, 6]), alone([1, 3, 5])
        assert out['frame_mask'].tolist() == [[True] * 4, [True] * 3 + [False]]
        for part, key in (('temporal', 'sted_logits'), ('spatial', 'boxes')):
            torch.testing.assert_close(out[part][key][0], even[part][key][0])
            torch.testing.assert_close(
                out[part][key][1, :3], odd[part][key][0], atol=1e-5, rtol=1e-4)
        tube = model.predict(inputs, copy.deepcopy(samples))[0].pred_tube
        assert len(set(tube.frame_ids.tolist())) == len(tube.frame_ids)
        assert int(tube.span[1]) <= int(inds[6]) + 1
        # mmstvg's own rule keeps the copy as a frame of the pass: not the shorter pass
        model.pass_merge = 'mean'
        kept = model._run_passes(inputs, 0, samples[0], 4, 2)
    assert bool(kept['frame_mask'].all())
    assert not torch.allclose(
        kept['temporal']['sted_logits'][1, :3], odd['temporal']['sted_logits'][0], atol=1e-5)


def test_unknown_span_rule_or_pass_merge_is_refused_when_built():
    from mmstvg.testing import get_tiny_tubedetr_cfg
    for cfg in (get_tiny_stcat_cfg(), get_tiny_tubedetr_cfg()):
        with pytest.raises(ValueError, match='span_rule must be'):
            MODELS.build(dict(cfg, span_rule='nearest'))
    with pytest.raises(ValueError, match='pass_merge must be'):
        MODELS.build(dict(get_tiny_stcat_cfg(), pass_merge='max'))


def test_attention_training_aids():
    """The decoder's ``box_reference='attention'`` and the grounder's ``loss_attn``: every
    layer's box is relative to its anchor with the centre replaced by the centroid of that
    layer's cross-attention over the visual map (the next layer's anchor is that box), the
    attention is supervised on in-span frames, with checkpointing the same, and the aids lower
    the loss. Without them the decoder's outputs are the released ones (no weights added)."""
    from mmstvg.models.utils import attention_centroid
    cfg = get_tiny_stcat_cfg()
    cfg['decoder'].update(box_reference='attention')
    cfg['loss_attn'] = dict(type='SpatialAttentionLoss', loss_weight=1.0)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    plain = _model()
    assert set(model.state_dict()) == set(plain.state_dict())
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    inputs['frame_mask'][1, 6:] = False
    model.train()
    feats = model(inputs, samples, mode='tensor')['feats']
    maps = feats['attn_maps']  # (L, B, T, h, w), zeros on padded frames
    assert maps.shape[:3] == (2, 2, 8)
    frame_mask = inputs['frame_mask']
    assert not maps[:, 1, 6:].any()
    for layer in range(2):
        anchors = feats['layer_anchors'][layer][frame_mask]
        torch.testing.assert_close(anchors[:, :2], attention_centroid(maps[layer][frame_mask]))
    # the second layer's anchor size is the first layer's box size
    first = model.spatial_head(
        dict(feats, queries=feats['layer_queries'][0],
             ref_anchors=feats['layer_anchors'][0]))['boxes']
    torch.testing.assert_close(feats['layer_anchors'][1][..., 2:][frame_mask],
                               first[..., 2:][frame_mask])
    losses = model(inputs, samples, mode='loss')
    assert {'loss_attn', 'd0.loss_attn'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    # checkpointing keeps the losses
    cp = copy.deepcopy(cfg)
    cp['decoder'].update(with_cp=True)
    other = MODELS.build(cp)
    other.load_state_dict(model.state_dict())
    other.train()
    torch.testing.assert_close(
        sum(other(inputs, samples, mode='loss').values()), sum(losses.values()))
    totals = _train_steps(model, inputs, samples)
    assert totals[-1] < 0.9 * totals[0], totals
    with pytest.raises(ValueError, match='box_reference'):
        bad = get_tiny_stcat_cfg()
        bad['decoder'].update(box_reference='centre')
        MODELS.build(bad)
