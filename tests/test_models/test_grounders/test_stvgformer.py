"""STVGFormer grounder: shapes, training, the interaction switch, multi-pass inference."""
import copy

import pytest
import torch

from mmstvg.registry import MODELS
from mmstvg.testing import (STVGFORMER_HEATMAP_CONFIG, demo_grounding_inputs,
                            get_tiny_stvgformer_cfg)
from mmstvg.utils import register_all_modules

register_all_modules()


def _feature_model(interaction=dict(type='SDIB'), seed=0, **options):
    torch.manual_seed(seed)
    return MODELS.build(
        dict(
            get_tiny_stvgformer_cfg(
                video_backbone=None, clip_channels=12, interaction=interaction), **options))


def _feature_inputs(batch_size=2, num_frames=8, seed=0):
    inputs, samples = demo_grounding_inputs(batch_size, num_frames, img_shape=(48, 48), seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    inputs['features'] = torch.randn(batch_size, num_frames, 2, 2, 12, generator=g)
    return inputs, samples


def test_forward_shapes_with_video_backbone():
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_stvgformer_cfg())
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    out = model(inputs, samples, mode='tensor')
    spatial, temporal = out['spatial'], out['temporal']
    assert spatial['boxes'].shape == (2, 8, 4)
    assert spatial['span_logits'].shape == temporal['aux_logits'].shape == (2, 8)
    assert temporal['score_map'].shape == temporal['map_mask'].shape == (2, 8, 8)
    assert ((spatial['boxes'] > 0) & (spatial['boxes'] < 1)).all()
    # the features both heads get
    feats = out['feats']
    assert feats['queries'].shape == feats['seq'].shape == (2, 8, 32)
    assert feats['maps'].shape[:3] == (2, 32, 8)


def test_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_stvgformer_cfg())
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    losses = model(inputs, samples, mode='loss')
    # the config's aux_loss adds every earlier decoder layer's box and attention losses
    last = {'loss_bbox', 'loss_giou', 'loss_static_aux', 'loss_attn'}
    assert set(losses) == last | {f'd0.{k}' for k in last} | {'loss_tg', 'loss_dynamic_aux'}
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    first = None
    for _ in range(6):
        total = sum(model(inputs, samples, mode='loss').values())
        first = float(total) if first is None else first
        optim.zero_grad()
        total.backward()
        optim.step()
    assert float(sum(model(inputs, samples, mode='loss').values())) < 0.9 * first


def test_interaction_off_equals_plain_branches():
    """SDIB with both directions off == no SDIB == the two branches run on their own (the
    box head without the attention-centroid reference, to compare with it run by hand)."""
    off = _feature_model(
        dict(type='SDIB', static_to_dynamic=False, dynamic_to_static=False), box_reference=None)
    plain = _feature_model(None, box_reference=None)
    plain.load_state_dict(off.state_dict())
    off.eval(), plain.eval()
    inputs, samples = _feature_inputs()
    with torch.no_grad():
        a = off(inputs, samples, mode='tensor')
        b = plain(inputs, samples, mode='tensor')
        # the branches by themselves
        text = plain.text_encoder(**inputs['text'])
        vis = plain.extract_image_feats(inputs['imgs'].flatten(0, 1))
        t = inputs['frame_mask'].shape[1]
        query = plain.static_branch(vis, None, text['tokens'].repeat_interleave(t, 0),
                                    text['mask'].repeat_interleave(t, 0))
        dyn, _ = plain.dynamic_branch(
            plain.extract_clip_feats(inputs), text['tokens'], text['mask'], inputs['frame_mask'])
        boxes = plain.spatial_head(dict(queries=query.view(2, t, -1)))['boxes']
        score_map = plain.temporal_head(dict(seq=dyn.mean(2),
                                             frame_mask=inputs['frame_mask']))['score_map']
    for key in ('spatial', 'temporal'):
        torch.testing.assert_close(a[key], b[key])
    torch.testing.assert_close(a['spatial']['boxes'], boxes)
    torch.testing.assert_close(a['temporal']['score_map'], score_map)
    # and with the interaction on, the outputs differ
    on = _feature_model(box_reference=None)
    on.load_state_dict(off.state_dict(), strict=False)
    on.eval()
    with torch.no_grad():
        c = on(inputs, samples, mode='tensor')
    assert not torch.allclose(c['spatial']['boxes'], a['spatial']['boxes'])
    assert not torch.allclose(c['temporal']['score_map'], a['temporal']['score_map'])


def test_padded_text_changes_nothing():
    model = _feature_model().eval()
    inputs, samples = _feature_inputs()
    padded = copy.deepcopy(inputs)
    padded['text'] = dict(
        input_ids=torch.cat([inputs['text']['input_ids'],
                             torch.full((2, 3), 1, dtype=torch.long)], 1),
        attention_mask=torch.cat(
            [inputs['text']['attention_mask'],
             torch.zeros(2, 3, dtype=torch.long)], 1))
    with torch.no_grad():
        a = model(inputs, samples, mode='tensor')
        b = model(padded, samples, mode='tensor')
    for key in ('spatial', 'temporal'):
        torch.testing.assert_close(a[key], b[key], atol=1e-4, rtol=1e-4)


def test_predict_single_pass():
    model = _feature_model().eval()
    inputs, samples = _feature_inputs()
    with torch.no_grad():
        results = model(inputs, samples, mode='predict')
    for s in results:
        tube = s.pred_tube
        start, end = tube.span.tolist()
        assert 0 <= start < end <= 16
        assert tube.bboxes.shape == (len(tube.frame_ids), 4)
        assert all(start <= f < end for f in tube.frame_ids.tolist())
        # boxes in original pixels (the sample was downscaled by 2 from 96 x 96)
        assert (tube.bboxes >= 0).all() and (tube.bboxes <= 96).all()


def test_predict_multi_pass_merges_passes():
    """P = 2 passes of T = 4 frames: the span comes from the mean of the passes' maps and
    every frame in it keeps its own pass's box."""
    model = _feature_model().eval()
    inputs, samples = _feature_inputs(batch_size=1, num_frames=8)
    sample = samples[0]
    sample.set_metainfo(
        dict(
            num_passes=2,
            frame_inds=list(range(8)),
            clip=(0, 8),
            scale_factor=[1.0, 1.0],
            ori_shape=(48, 48)))
    with torch.no_grad():
        passes = []
        for p in range(2):
            pin = dict(
                frame_mask=inputs['frame_mask'][:, p::2],
                imgs=inputs['imgs'][:, p::2],
                features=inputs['features'][:, p::2],
                text=inputs['text'])
            passes.append(model(pin, [sample], mode='tensor'))
        prob = torch.stack([o['temporal']['score_map'][0].sigmoid() for o in passes]).mean(0)
        i, j, _ = model.temporal_head.predict_span(prob, 4)
        result = model(inputs, [sample], mode='predict')[0].pred_tube
    # segment k of the clip holds frames 2k (pass 0) and 2k + 1 (pass 1)
    assert result.frame_ids.tolist() == list(range(2 * i, 2 * j + 2))
    assert result.span.tolist() == [2 * i, 2 * j + 2]
    box = passes[1]['spatial']['boxes'][0, i]  # frame 2i + 1, normalised cxcywh of a 48 x 48 frame
    expected = torch.stack(
        [box[0] - box[2] / 2, box[1] - box[3] / 2, box[0] + box[2] / 2, box[1] + box[3] / 2]) * 48
    torch.testing.assert_close(result.bboxes[1], expected, atol=1e-4, rtol=1e-4)


def test_predict_rejects_inconsistent_passes():
    model = _feature_model().eval()
    inputs, samples = _feature_inputs(batch_size=1, num_frames=8)
    samples[0].set_metainfo(dict(num_passes=3))
    with pytest.raises(ValueError, match='passes'):
        model(inputs, samples, mode='predict')


def test_width_mismatch_is_an_error():
    cfg = get_tiny_stvgformer_cfg(video_backbone=None, clip_channels=12)
    cfg['dynamic_branch']['embed_dims'] = 64
    with pytest.raises(ValueError, match='width'):
        MODELS.build(cfg)


def test_aux_decoder_losses():
    """MDETR's auxiliary decoding losses: the box losses again on every earlier layer."""
    cfg = get_tiny_stvgformer_cfg(video_backbone=None, clip_channels=12, num_layers=3)
    cfg['aux_loss'] = True
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    inputs, samples = _feature_inputs()
    losses = model(inputs, samples, mode='loss')
    for i in range(2):
        for key in ('loss_bbox', 'loss_giou', 'loss_static_aux'):
            assert f'd{i}.{key}' in losses and torch.isfinite(losses[f'd{i}.{key}'])
    assert 'd2.loss_bbox' not in losses
    # the earlier layers' queries ride along in the features; only the loss decodes them
    model.eval()
    with torch.no_grad():
        out = model(inputs, samples, mode='tensor')
    assert set(out) == {'feats', 'spatial', 'temporal'}
    assert len(out['feats']['dec_queries']) == len(out['feats']['attn_maps']) == 3


def test_attention_centroid_by_hand():
    from mmstvg.models.grounders import STVGFormer
    attn = torch.zeros(2, 2, 4)
    attn[0, 1, 3] = 0.5  # all the mass in cell (row 1, col 3): centre (3.5/4, 1.5/2)
    attn[1, 0, 0] = attn[1, 0, 1] = 0.25  # half in (0, 0), half in (0, 1), 1/2 unnormalised
    c = STVGFormer.attention_centroid(attn)
    torch.testing.assert_close(c, torch.tensor([[0.875, 0.75], [0.25, 0.25]]))
    # with the right half of frame 1 padded, x is relative to the 2 valid columns
    mask = torch.zeros(2, 2, 4, dtype=torch.bool)
    mask[1, :, 2:] = True
    c = STVGFormer.attention_centroid(attn, mask)
    torch.testing.assert_close(c[1], torch.tensor([0.5, 0.25]))


def test_training_aids_attention_reference_and_supervision():
    cfg = get_tiny_stvgformer_cfg(video_backbone=None, clip_channels=12)
    cfg.update(
        box_reference='attention',
        aux_loss=True,
        loss_attn=dict(type='SpatialAttentionLoss', loss_weight=1.0))
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    inputs, samples = _feature_inputs()
    losses = model(inputs, samples, mode='loss')
    assert 'loss_attn' in losses and 'd0.loss_attn' in losses
    # with a zero centre output the box centre is the attention centroid
    with torch.no_grad():
        model.spatial_head.box_mlp.layers[-1].weight.zero_()
        model.spatial_head.box_mlp.layers[-1].bias.zero_()
    model.eval()
    with torch.no_grad():
        out = model(inputs, samples, mode='tensor')
    boxes = out['spatial']['boxes']
    assert ((boxes[..., :2] - 0.5).abs() > 1e-3).any()  # not the plain sigmoid(0)
    torch.testing.assert_close(boxes[..., 2:], torch.full_like(boxes[..., 2:], 0.5))
    with pytest.raises(ValueError, match='box_reference'):
        MODELS.build(dict(cfg, box_reference='centre'))


def test_gkcmn_heatmap_head_swapped_in_by_config():
    """docs/advanced_guides/swap_components.md: GKCMN's spatial head on STVGFormer's dynamic
    maps, nothing but the config changed; it trains and predicts tubes."""
    cfg = get_tiny_stvgformer_cfg(config=STVGFORMER_HEATMAP_CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert model.spatial_head.in_key == 'maps'
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    losses = model(inputs, samples, mode='loss')
    assert {'loss_heatmap', 'loss_bbox', 'loss_tg', 'loss_dynamic_aux'} == set(losses)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    first = float(sum(losses.values()))
    for _ in range(6):
        total = sum(model(inputs, samples, mode='loss').values())
        optim.zero_grad()
        total.backward()
        optim.step()
    assert float(sum(model(inputs, samples, mode='loss').values())) < 0.9 * first
    model.eval()
    with torch.no_grad():
        preds = model(inputs, copy.deepcopy(samples), mode='predict')
    tube = preds[0].pred_tube
    assert tube.bboxes.shape[1] == 4 and len(tube.frame_ids) == tube.bboxes.shape[0]
    with pytest.raises(ValueError, match='reads them'):
        MODELS.build(dict(cfg, aux_loss=True))


def test_loss_in_eval_mode_has_the_training_terms():
    """A validation loss on an eval-mode model (dropout off) gives the training loss terms:
    the attention supervision and auxiliary decodings are computed for the loss in any mode
    (before, ``loss()`` in eval mode with ``loss_attn`` raised KeyError 'attn_maps')."""
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_stvgformer_cfg())
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    train_keys = set(model(inputs, samples, mode='loss'))
    model.eval()
    with torch.no_grad():
        losses = model(inputs, samples, mode='loss')
        assert 'attn_maps' not in model(inputs, samples, mode='tensor')
    assert set(losses) == train_keys and 'loss_attn' in losses and 'd0.loss_attn' in losses
    assert all(torch.isfinite(v) for v in losses.values())
