import math

import pytest
import torch

from mmstvg.models.heads import QueryBoxHead
from mmstvg.registry import MODELS
from mmstvg.utils import register_all_modules

register_all_modules()


def _head(**kwargs):
    return MODELS.build(dict(type='QueryBoxHead', in_channels=8, hidden_dims=16, **kwargs))


def test_build_shapes_and_mdetr_names():
    head = _head()
    assert isinstance(head, QueryBoxHead)
    keys = set(head.state_dict())
    for k in range(3):  # MDETR's bbox_embed.layers.{0,1,2} map here
        assert f'box_mlp.layers.{k}.weight' in keys and f'box_mlp.layers.{k}.bias' in keys
    assert 'box_mlp.layers.3.weight' not in keys
    assert head.box_mlp.layers[0].in_features == 8 and head.box_mlp.layers[2].out_features == 4
    assert head.span_fc.in_features == 8 and head.span_fc.out_features == 1
    out = head(dict(queries=torch.randn(2, 5, 8)))
    assert out['boxes'].shape == (2, 5, 4) and out['span_logits'].shape == (2, 5)
    assert ((out['boxes'] > 0) & (out['boxes'] < 1)).all()


def test_loss_hand_computed():
    head = _head()  # L1 x5, GIoU x2, temporal attentive x0.5
    # frame 0: exact box; frame 1: cxcywh (.5,.5,.4,.4) = xyxy (.3,.3,.7,.7) around the GT;
    # frame 2: outside the span; frame 3: padding (marked in-span, must be ignored)
    boxes = torch.tensor([[[0.5, 0.5, 0.2, 0.2], [0.5, 0.5, 0.4, 0.4], [0.1, 0.9, 0.1, 0.1],
                           [0.9, 0.1, 0.3, 0.3]]])
    gt = torch.tensor([[[0.4, 0.4, 0.6, 0.6]] * 2 + [[0.0, 0.0, 1.0, 1.0]] * 2])
    span_logits = torch.tensor([[0.0, 0.0, 0.0, 100.0]])
    in_span = torch.tensor([[True, True, False, True]])
    frame_mask = torch.tensor([[True, True, True, False]])
    losses = head.loss_by_feat(
        dict(boxes=boxes, span_logits=span_logits),
        dict(gt_boxes=gt, in_span=in_span, frame_mask=frame_mask))
    assert set(losses) == {'loss_bbox', 'loss_giou', 'loss_static_aux'}
    # L1: |w|,|h| off by .2 on frame 1 -> .4 summed over coords, / 2 frames, x5
    assert losses['loss_bbox'].item() == pytest.approx(5 * 0.4 / 2, abs=1e-5)
    # GIoU frame 1: IoU = .04/.16 = .25, hull = pred box -> GIoU .25, loss .75; / 2, x2
    assert losses['loss_giou'].item() == pytest.approx(2 * 0.75 / 2, abs=1e-4)
    # softmax over the 3 real frames is 1/3 each; 2 in-span frames -> log 3, x0.5
    assert losses['loss_static_aux'].item() == pytest.approx(0.5 * math.log(3), abs=1e-5)


def test_loss_without_span_keeps_graph():
    head = _head()
    losses = head.loss(
        dict(queries=torch.randn(1, 3, 8)),
        dict(
            gt_boxes=torch.rand(1, 3, 4),
            in_span=torch.zeros(1, 3, dtype=torch.bool),
            frame_mask=torch.ones(1, 3, dtype=torch.bool)))
    assert all(v.item() == 0 for v in losses.values())
    sum(losses.values()).backward()
    assert head.box_mlp.layers[0].weight.grad is not None


def test_few_adam_steps_lower_the_loss():
    torch.manual_seed(0)
    head = _head()
    query = torch.randn(2, 6, 8)
    gt = torch.tensor([0.2, 0.3, 0.6, 0.8]).expand(2, 6, 4).clone()
    in_span = torch.tensor([[False, True, True, True, False, False],
                            [False, False, True, True, True, False]])
    frame_mask = torch.tensor([[True] * 6, [True] * 5 + [False]])
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)

    def total():
        return sum(
            head.loss(
                dict(queries=query), dict(gt_boxes=gt, in_span=in_span,
                                          frame_mask=frame_mask)).values())

    first = total()
    for _ in range(20):
        opt.zero_grad()
        loss = total()
        loss.backward()
        opt.step()
    assert total().item() < 0.7 * first.item()


def test_reference_centres_are_offsets_in_logit_space():
    head = QueryBoxHead(in_channels=8, hidden_dims=8)
    with torch.no_grad():
        head.box_mlp.layers[-1].weight.zero_()
        head.box_mlp.layers[-1].bias.zero_()
    ref = torch.tensor([[[0.2, 0.7], [0.9, 0.1]]])
    boxes = head(dict(queries=torch.randn(1, 2, 8), ref_centers=ref))['boxes']
    torch.testing.assert_close(boxes[..., :2], ref)
    torch.testing.assert_close(boxes[..., 2:], torch.full((1, 2, 2), 0.5))
