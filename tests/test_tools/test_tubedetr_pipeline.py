"""The TubeDETR configs' test path end to end on generated videos: the HC-STVG v2 config's
test pipeline (TubeDETR's frames, DETR's resize, tokenisation) and its `sampled` evaluator,
run by the Runner on the tiny synthetic split with a small random TubeDETR."""
import copy

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from mmstvg.evaluation.functional import tubedetr_clip, tubedetr_sample_frames
from mmstvg.registry import DATASETS
from mmstvg.testing import get_config_file, get_tiny_tubedetr_cfg
from mmstvg.utils import register_all_modules

CONFIG = 'tubedetr/tubedetr_r101-mdetr-pre_16xb1-k4-res352-20e_hcstvg-v2.py'


def _cfg(data_root, work_dir):
    cfg = Config.fromfile(get_config_file(CONFIG))
    model = get_tiny_tubedetr_cfg()
    model['data_preprocessor'] = dict(cfg.model.data_preprocessor, text_pad_token_id=0)
    cfg.model = model
    dataset = cfg.test_dataloader.dataset
    dataset.data_root = data_root
    dataset.ann_file = 'anno_v2/val_v2.json'
    for t in dataset.pipeline:
        if t['type'] == 'TokenizeText':
            t['tokenizer'] = dict(type='AutoTokenizer', pretrained=f'{data_root}/tokenizer')
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg.train_dataloader = cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.train_cfg = cfg.optim_wrapper = cfg.param_scheduler = None
    cfg.custom_hooks = []
    cfg.default_hooks.visualization = dict(type='STVGVisualizationHook', draw=False)
    cfg.work_dir = work_dir
    return cfg


def test_tubedetr_test_path_on_generated_videos(tiny_synth_root, tmp_path):
    register_all_modules()
    cfg = _cfg(tiny_synth_root, str(tmp_path / 'work'))
    dataset = DATASETS.build(copy.deepcopy(cfg.test_dataloader.dataset))
    info = dataset.get_data_info(0)
    sample = dataset[0]
    meta = sample['data_samples'].metainfo
    # TubeDETR's frames (the `sampled` protocol's), resized as DETR (64x64 -> 352x352)
    expected = tubedetr_sample_frames(tubedetr_clip(info['clip']), info['fps'], 5, 200)
    np.testing.assert_array_equal(meta['frame_inds'], expected)
    assert tuple(sample['inputs']['imgs'].shape[-2:]) == (352, 352)
    # the HC-STVG ground truth read as TubeDETR reads it (st_frame 0-based: one frame later)
    default = DATASETS.build(dict(cfg.test_dataloader.dataset, st_frame_base=1, pipeline=[]))
    assert info['gt_span'][0] == default.get_data_info(0)['gt_span'][0] + 1
    metrics = Runner.from_cfg(cfg).test()
    assert {'m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5'} <= set(metrics)


def test_tubedetr_train_pipeline_on_generated_videos(tiny_synth_root, tmp_path):
    """The training pipeline (temporal crop, DETR's random resize or resize-crop-resize) keeps
    the GT moment and its boxes inside the frames."""
    register_all_modules()
    cfg = _cfg(tiny_synth_root, str(tmp_path / 'work'))
    dataset = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset.ann_file = 'anno_v2/train_v2.json'
    dataset.test_mode = False
    dataset.pipeline = [
        dict(t, tokenizer=dict(type='AutoTokenizer', pretrained=f'{tiny_synth_root}/tokenizer'))
        if t['type'] == 'TokenizeText' else t
        for t in Config.fromfile(get_config_file(CONFIG)).train_pipeline
    ]
    dataset = DATASETS.build(dataset)
    np.random.seed(0)
    sizes = set()
    for i in range(8):
        sample = dataset[i % len(dataset)]
        meta, gt = sample['data_samples'].metainfo, sample['data_samples'].gt_tube
        h, w = meta['img_shape']
        sizes.add((h, w))
        assert tuple(sample['inputs']['imgs'].shape[-2:]) == (h, w)
        assert 224 <= min(h, w) <= 352 and max(h, w) <= 587
        boxes = gt.frame_bboxes[gt.frame_in_span]
        assert len(boxes) > 0  # the temporal crop keeps the moment
        assert ((boxes[:, 2:] > boxes[:, :2]).all() and (boxes[:, 2] <= w).all()
                and (boxes[:, 3] <= h).all())
    assert len(sizes) > 1  # random scales
