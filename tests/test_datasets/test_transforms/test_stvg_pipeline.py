"""data_info (docs/data_flow.md) -> the train / test pipelines -> a packed sample."""
import copy
import random

import numpy as np
import torch
from mmcv.transforms import Compose
from stvg_transform_helpers import FPS, HEIGHT, NUM_FRAMES, WIDTH, red_bbox, square_box

import mmstvg.datasets.transforms  # noqa: F401
from mmstvg.registry import TRANSFORMS
from mmstvg.structures import STVGDataSample

SPAN = (6, 18)


def _data_info(video, with_gt=True):
    return dict(
        qid='square.mp4',
        video_name='square.mp4',
        filename=video,
        feature_path=None,
        sentence='The red square on the left',
        sentence_type=None,
        num_frames=NUM_FRAMES,
        fps=float(FPS),
        height=HEIGHT,
        width=WIDTH,
        clip=(0, NUM_FRAMES),
        gt_span=SPAN if with_gt else None,
        gt_bboxes=np.stack([square_box(i) for i in range(*SPAN)]) if with_gt else None,
        extra={})


def _pipelines(tokenizer_dir):
    text = dict(
        type='TokenizeText',
        max_length=16,
        tokenizer=dict(type='AutoTokenizer', pretrained=tokenizer_dir))
    train = [
        dict(type='SampleSTVGFrames', clip_len=8),
        dict(type='mmaction.PyAVInit'),
        dict(type='STVGPyAVDecode'),
        dict(type='LoadTubeTargets'),
        dict(type='mmaction.Resize', scale=(-1, 64)),
        dict(
            type='STVGCrop',
            crop=dict(type='mmaction.RandomResizedCrop', area_range=(0.5, 1.0)),
            min_visible_ratio=0.5),
        dict(type='mmaction.Resize', scale=(56, 56), keep_ratio=False),
        dict(type='STVGFlip', flip_ratio=0.5),
        text,
        dict(type='PackSTVGInputs'),
    ]
    test = [
        dict(type='SampleSTVGFrames', clip_len=10, test_mode=True, multi_pass=True),
        dict(type='mmaction.PyAVInit'),
        dict(type='STVGPyAVDecode'),
        dict(type='LoadTubeTargets'),
        dict(type='mmaction.Resize', scale=(-1, 32)),
        text,
        dict(type='PackSTVGInputs'),
    ]
    return [Compose([TRANSFORMS.build(t) for t in p]) for p in (train, test)]


def test_train_pipeline(square_video, tiny_tokenizer_dir):
    train, _ = _pipelines(tiny_tokenizer_dir)
    flips = set()
    for seed in range(4):
        random.seed(seed)
        np.random.seed(seed)
        info = _data_info(square_video)
        out = train(copy.deepcopy(info))
        imgs, sample = out['inputs']['imgs'], out['data_samples']
        assert isinstance(sample, STVGDataSample)
        assert imgs.shape == (8, 3, 56, 56) and imgs.dtype == torch.uint8
        meta = sample.metainfo
        assert meta['img_shape'] == (56, 56) and meta['ori_shape'] == (HEIGHT, WIDTH)
        assert len(meta['frame_inds']) == 8 and meta['num_passes'] == 1
        flips.add(meta['flip'])
        assert meta['sentence'].endswith('right' if meta['flip'] else 'left')
        gt = sample.gt_tube
        np.testing.assert_array_equal(gt.bboxes.numpy(), info['gt_bboxes'])  # untouched
        inds = np.asarray(meta['frame_inds'])
        np.testing.assert_array_equal(gt.frame_in_span.numpy(),
                                      (inds >= SPAN[0]) & (inds < SPAN[1]))
        for img, box, in_span in zip(imgs, gt.frame_bboxes, gt.frame_in_span):
            if in_span:  # the box is on the square in the pipeline's pixels
                np.testing.assert_allclose(
                    box.numpy(), red_bbox(img.permute(1, 2, 0).numpy(), thr=100), atol=2.5)
            else:
                assert not box.any()
        assert out['inputs']['text']['input_ids'][0] == 2  # [CLS]
    assert flips == {True, False}


def test_test_pipeline_multi_pass_and_no_gt(square_video, tiny_tokenizer_dir):
    _, test = _pipelines(tiny_tokenizer_dir)
    out = test(_data_info(square_video))
    meta = out['data_samples'].metainfo
    assert meta['num_passes'] == 3 and out['inputs']['imgs'].shape == (30, 3, 32, 43)
    assert set(np.asarray(meta['frame_inds']).tolist()) == set(range(NUM_FRAMES))
    assert 'flip' not in meta
    out = test(_data_info(square_video, with_gt=False))
    assert 'gt_tube' not in out['data_samples']
    assert out['inputs']['imgs'].shape == (30, 3, 32, 43)


def test_pipeline_to_model(square_video, tiny_tokenizer_dir):
    """Packed samples -> pseudo_collate -> STVGDataPreprocessor -> the tiny baseline."""
    from mmengine.dataset import pseudo_collate

    from mmstvg.registry import MODELS
    from mmstvg.testing import get_tiny_baseline_cfg
    from mmstvg.utils import register_all_modules
    register_all_modules()  # the model builds its data preprocessor in the default scope
    train, test = _pipelines(tiny_tokenizer_dir)
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_baseline_cfg())
    batch = pseudo_collate([train(_data_info(square_video)) for _ in range(2)])
    data = model.data_preprocessor(batch, training=True)
    assert data['inputs']['imgs'].shape == (2, 8, 3, 56, 56)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    batch = pseudo_collate([test(_data_info(square_video)), train(_data_info(square_video))])
    data = model.data_preprocessor(batch, training=False)
    assert data['inputs']['imgs'].shape == (2, 30, 3, 56, 56)
    assert data['inputs']['frame_mask'].sum(1).tolist() == [30, 8]
    model.eval()
    with torch.no_grad():
        preds = model(**data, mode='predict')
    for pred in preds:  # in ORIGINAL frames and pixels
        tube = pred.pred_tube
        assert 0 <= tube.span[0] < tube.span[1] <= NUM_FRAMES
        assert (tube.bboxes[:, [0, 2]] <= WIDTH).all() and (tube.bboxes[:, [1, 3]] <= HEIGHT).all()
