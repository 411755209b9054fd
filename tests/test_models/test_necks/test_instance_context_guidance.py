"""CG-STVG's InstanceContextGuidance against the fork's ``PosDecoder`` guidance methods.

The fork part (``models/grounding_model/query_decoder.py``, random weights loaded through the
converter's key map) runs when ``$MMSTVG_CGSTVG_REPO`` names a checkout of HengLan/CGSTVG.
"""
import importlib.util
import os.path as osp

import pytest
import torch

from mmstvg.models.utils.cgstvg_converter import context_guidance_key, convert_part
from mmstvg.registry import MODELS
from mmstvg.utils import register_all_modules

_HELPER = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'cgta_reference.py')
_spec = importlib.util.spec_from_file_location('cgta_reference', _HELPER)
cgta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cgta)
DECODER = 'grounding_model/query_decoder.py'
register_all_modules()
H, W, L, T = 14, 10, 9, 16


def _inputs(seed=0):
    gen = torch.Generator().manual_seed(seed)
    memory = torch.randn(H * W + L + H * W, T, 256, generator=gen)
    centre = torch.rand(T, 2, generator=gen) * 0.8 + 0.1
    size = torch.rand(T, 2, generator=gen) * 0.7 + 0.02
    boxes = torch.cat([centre, size], 1)
    return memory, boxes


def test_cells_and_shapes():
    guide = MODELS.build(dict(type='InstanceContextGuidance')).eval()
    cells = guide.box_cells(torch.tensor([[0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]), (4, 6))
    assert cells[0].all() and cells[1].sum() == 1 and cells[1, 0, 0]
    memory, boxes = _inputs()
    out = guide(memory, (H, W), boxes, actioness=torch.full((T, ), 1.0))
    assert out['conf'].shape == (T, ) and (out['conf'] >= 0).all() and (out['conf'] <= 2).all()
    k = out['index'].numel()
    assert out['context'] is None if k == 0 else out['context'].shape == (2 * k, 256)
    gt_frames = torch.arange(3, 9)
    out = guide(memory, (H, W), boxes, gt_boxes=boxes[gt_frames], gt_frames=gt_frames)
    assert out['index'].tolist() == gt_frames.tolist()  # GIoU 1 with itself
    assert out['context'].shape == (12, 256)


def test_key_map():
    assert context_guidance_key('conf2.layers.1.bias') == 'motion_conf.layers.1.bias'
    assert context_guidance_key('gf_mlp.layers.0.weight') == 'appearance_context.layers.0.weight'
    assert context_guidance_key('fuse_linear.weight') == ''
    assert context_guidance_key('layers.0.ca2.output.dense.weight') is None  # decoder's


def test_equal_to_fork_pos_decoder_guidance():
    if not cgta.spec_exists(cgta.CGSTVG_REPO, DECODER):
        pytest.skip('set MMSTVG_CGSTVG_REPO to a checkout of HengLan/CGSTVG')
    mod = cgta.load_models_file(cgta.CGSTVG_REPO, DECODER)
    edict = type('E', (dict, ), {'__getattr__': dict.__getitem__})
    cg = edict(
        HIDDEN=256,
        HEADS=8,
        FFN_DIM=2048,
        DROPOUT=0.1,
        FROM_SCRATCH=True,
        TEMP_THETA=0.5,
        SPAT_GT_THETA=0.2,
        SPAT_THETA=0.9)
    cfg = edict(MODEL=edict(CG=cg))
    ref = mod.PosDecoder(cfg, 1, return_intermediate=True, d_model=256, query_dim=4).eval()
    cgta.random_init_(ref, seed=4, scale=0.1)
    own = MODELS.build(
        dict(
            type='InstanceContextGuidance',
            train_iou_thr=0.2,
            test_conf_thr=0.9,
            test_actioness_thr=0.5)).eval()
    sd = {k: v for k, v in ref.state_dict().items() if context_guidance_key(k) is not None}
    own.load_state_dict(convert_part(sd, '', '', context_guidance_key), strict=True)
    memory, boxes = _inputs(1)
    with torch.no_grad():
        roi_2d = ref.generate_roi_feature(memory, (H, W, None), boxes[:, None], '2d')
        roi_3d = ref.generate_roi_feature(memory, (H, W, None), boxes[:, None], '3d')
        app, motion = own.instance_features(memory, (H, W), boxes)
        assert (app - roi_2d).abs().max() <= 1e-5 and (motion - roi_3d).abs().max() <= 1e-5
        conf_ref = ref.conf(roi_2d).sigmoid().squeeze() + ref.conf2(roi_3d).sigmoid().squeeze()
        conf = own.confidence(app, motion)
        assert (conf - conf_ref).abs().max() <= 1e-5
        # inference selection: confidence and actioness logits (the fork's time_info)
        actioness = torch.randn(T)
        ref_index = ref.get_context_index_by_our(conf_ref, 0.9)
        pred_time = torch.nonzero(actioness > 0.5).squeeze(-1).tolist()
        ref_index = [int(i) for i in ref_index if i in pred_time]
        out = own(memory, (H, W), boxes, actioness=actioness)
        assert out['index'].tolist() == ref_index and 0 < len(ref_index) < T
        # training selection: GIoU with the ground truth inside the GT segment
        gt_frames = torch.arange(2, 12)
        gt_boxes = (boxes[gt_frames] + 0.05 * torch.randn(10, 4)).clamp(0.05, 0.9)
        ref_gt = ref.get_context_index_by_gt(boxes[:, None], gt_boxes, gt_frames, 0.2)
        out_gt = own(memory, (H, W), boxes, gt_boxes=gt_boxes, gt_frames=gt_frames)
        assert out_gt['index'].tolist() == ref_gt.tolist() and len(ref_gt) > 0
        expected = ref.generate_context(roi_2d, roi_3d, ref_gt)
        assert (out_gt['context'] - expected).abs().max() <= 1e-4
