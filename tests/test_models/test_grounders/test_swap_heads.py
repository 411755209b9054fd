"""Any spatial head and any temporal head combine by config (issue 15): the swap configs
build from their files, train (a few steps lower the loss) and predict tubes."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmstvg.models.heads import (BaseSpatialHead, BaseTemporalHead, StartEndHead, TAN2DHead,
                                 TemporalLocationHead)
from mmstvg.registry import MODELS
from mmstvg.testing.grounder_outputs import golden_inputs
from mmstvg.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

CASES = [
    # GKCMN's temporal location head on STVGFormer's dynamic maps
    ('configs/stvgformer/'
     'stvgformer_r18-c16-slowfast-tiny-gkcmn-temporal-head_1xb8-t32-8e_synth.py',
     TemporalLocationHead, {'loss_conf', 'loss_offset'}, {'loss_tg', 'loss_dynamic_aux'}),
    # STVGFormer's 2D-TAN head on GKCMN's pooled fused maps
    ('configs/gkcmn/gkcmn_r3d18-tiny-tan2d-head_1xb8-t32-8e_synth.py', TAN2DHead,
     {'loss_tg', 'loss_dynamic_aux'}, {'loss_conf', 'loss_offset'}),
    # TubeDETR's start/end head on STVGFormer's pooled dynamic features
    ('configs/stvgformer/'
     'stvgformer_r18-c16-slowfast-tiny-start-end-head_1xb8-t32-8e_synth.py', StartEndHead,
     {'loss_sted'}, {'loss_tg', 'loss_dynamic_aux'}),
    # STVGFormer's 2D-TAN head on TubeDETR's frame queries (every decoder layer, aux losses)
    ('configs/tubedetr/tubedetr_r18-c16-tiny-tan2d-head_1xb8-t32-8e_synth.py', TAN2DHead,
     {'loss_tg', 'loss_dynamic_aux', 'd0.loss_tg'}, {'loss_sted'}),
]


@pytest.mark.parametrize(
    'config,head_type,new_losses,old_losses',
    CASES,
    ids=['stvgformer-gkcmn-temporal', 'gkcmn-tan2d', 'stvgformer-start-end', 'tubedetr-tan2d'])
def test_swapped_temporal_head_trains_and_predicts(config, head_type, new_losses, old_losses):
    cfg = Config.fromfile(osp.join(REPO, config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert isinstance(model.temporal_head, head_type)
    assert isinstance(model.spatial_head, BaseSpatialHead)
    assert isinstance(model.temporal_head, BaseTemporalHead)
    inputs, samples = golden_inputs(num_frames=8, img_shape=(48, 48))
    losses = model(inputs, samples, mode='loss')
    assert new_losses <= set(losses) and not old_losses & set(losses)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    totals = []
    for _ in range(6):
        loss = sum(model(inputs, samples, mode='loss').values())
        totals.append(loss.item())
        optim.zero_grad()
        loss.backward()
        optim.step()
    with torch.no_grad():
        totals.append(sum(model(inputs, samples, mode='loss').values()).item())
    assert totals[-1] < totals[0], totals
    model.eval()
    with torch.no_grad():
        results = model(inputs, samples, mode='predict')
    for s in results:
        start, end = s.pred_tube.span.tolist()
        assert 0 <= start < end <= s.metainfo['num_frames']
        assert s.pred_tube.bboxes.shape == (len(s.pred_tube.frame_ids), 4)


def test_in_key_points_a_head_at_another_feature():
    """GKCMN has no per-frame queries: a query head says so by name, and runs on the pooled
    sequence once the config sets its ``in_key``."""
    from mmstvg.testing import get_tiny_gkcmn_cfg
    inputs, samples = golden_inputs(num_frames=8, img_shape=(8, 8))
    inputs['features'] = torch.randn(2, 8, 3, 3, 16)
    cfg = get_tiny_gkcmn_cfg()
    cfg['spatial_head'] = dict(type='QueryBoxHead', in_channels=16, hidden_dims=8)
    model = MODELS.build(cfg)
    with pytest.raises(KeyError, match="QueryBoxHead reads the features 'queries'.*'maps'"):
        model(inputs, samples, mode='loss')
    cfg['spatial_head']['in_key'] = 'seq'
    model = MODELS.build(cfg)
    losses = model(inputs, samples, mode='loss')
    assert {'loss_bbox', 'loss_giou', 'loss_static_aux', 'loss_conf'} <= set(losses)
    with pytest.raises(ValueError, match='in_key must be one of'):
        MODELS.build(dict(cfg['spatial_head'], in_key='frames'))
