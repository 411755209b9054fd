"""TubeDETR grounder: shapes, the features and heads it shares with the other grounders,
training, decoding with TubeDETR's span rule, and independence of the padding."""
import copy

import torch

from mmstvg.models.heads import BaseSpatialHead, BaseTemporalHead
from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_tubedetr_cfg
from mmstvg.utils import register_all_modules

register_all_modules()


def _model(seed=0, **options):
    """The paper's model (the synthetic config's training aids off unless given)."""
    options = dict(dict(box_reference=None, loss_attn=None), **options)
    torch.manual_seed(seed)
    model = MODELS.build(dict(get_tiny_tubedetr_cfg(), **options))
    model.init_weights()
    return model


def test_forward_shapes_and_features():
    model = _model()
    assert isinstance(model.spatial_head, BaseSpatialHead)
    assert isinstance(model.temporal_head, BaseTemporalHead)
    inputs, samples = demo_grounding_inputs(2, 10, img_shape=(48, 48))
    out = model(inputs, samples, mode='tensor')
    assert out['spatial']['boxes'].shape == (2, 10, 4)
    assert out['temporal']['sted_logits'].shape == (2, 10, 2)
    feats = out['feats']
    assert feats['queries'].shape == feats['seq'].shape == (2, 10, 32)
    assert feats['maps'].shape[:3] == (2, 32, 10)
    assert feats['layer_queries'].shape == (2, 2, 10, 32)
    attn = feats['self_attn']
    assert attn.shape == (2, 2, 10, 10)
    torch.testing.assert_close(attn.sum(-1), torch.ones(2, 2, 10))
    # the aggregation's residual layer starts at zero: the fast branch adds nothing yet
    assert model.encoder.fast_residual.weight.abs().sum() == 0


def test_few_steps_lower_the_loss():
    model = _model()
    inputs, samples = demo_grounding_inputs(2, 10, img_shape=(48, 48))
    losses = model(inputs, samples, mode='loss')
    last = {'loss_bbox', 'loss_giou', 'loss_sted', 'loss_guided_attn'}
    assert set(losses) == last | {f'd0.{k}' for k in last}  # auxiliary losses, 2 layers
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    totals = []
    for _ in range(6):
        total = sum(model(inputs, samples, mode='loss').values())
        totals.append(total.item())
        optim.zero_grad()
        total.backward()
        optim.step()
    # the backbone gets gradients through the slow branch only
    assert model.image_backbone.layer2[0].conv1.weight.grad is not None
    with torch.no_grad():
        totals.append(float(sum(model(inputs, samples, mode='loss').values())))
    assert totals[-1] < 0.9 * totals[0], totals


def test_without_aux_loss_only_the_last_layer_is_supervised():
    model = _model(aux_loss=False, loss_guided_attn=None)
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
        assert tube.frame_ids.tolist() == inds[s:e + 1]
        assert tube.bboxes.shape == (e - s + 1, 4)
        assert tube.score == score
        # original pixels: the frames are half size in the pipeline
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
    torch.testing.assert_close(batch['spatial']['boxes'][1, :7], single['spatial']['boxes'][0])
    torch.testing.assert_close(batch['temporal']['sted_logits'][1, :7],
                               single['temporal']['sted_logits'][0])
    torch.testing.assert_close(batch['feats']['self_attn'][:, 1, :7, :7],
                               single['feats']['self_attn'][:, 0])


def test_slow_only_variant():
    cfg = dict(get_tiny_tubedetr_cfg(), box_reference=None, loss_attn=None)
    cfg['encoder']['with_fast'] = False
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert not hasattr(model.encoder, 'fast_encoder')
    inputs, samples = demo_grounding_inputs(2, 9, img_shape=(48, 48))
    out = model(inputs, samples, mode='tensor')
    assert out['spatial']['boxes'].shape == (2, 9, 4)


def test_training_aids_of_the_synthetic_config():
    """``box_reference`` offsets the boxes from the decoder's attention centroids and
    ``loss_attn`` supervises that attention on every supervised layer (not in the paper; on
    in the synthetic config)."""
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_tubedetr_cfg())
    assert model.box_reference == 'attention' and model.loss_attn is not None
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    losses = model(inputs, samples, mode='loss')
    assert {'loss_attn', 'd0.loss_attn'} <= set(losses)
    out = model(inputs, samples, mode='tensor')
    refs = out['feats']['ref_centers']
    assert refs.shape == (2, 8, 2) and ((refs >= 0) & (refs <= 1)).all()
    assert out['feats']['attn_maps'].shape[:3] == (2, 2, 8)
    plain = _model()
    plain.load_state_dict(model.state_dict())  # the aids add no parameter
    with torch.no_grad():
        a = model(inputs, samples, mode='tensor')['spatial']['boxes']
        b = plain(inputs, samples, mode='tensor')['spatial']['boxes']
    assert not torch.allclose(a, b)
