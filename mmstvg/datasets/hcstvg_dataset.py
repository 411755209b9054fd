"""HC-STVG v1 / v2 dataset: :class:`~mmstvg.datasets.hcstvg_annotation.HCSTVGAnnotation`
(the file layouts and their conversion are documented there) with mmengine's ``BaseDataset``.
"""
from mmstvg.registry import DATASETS
from .base_stvg_dataset import BaseSTVGDataset
from .hcstvg_annotation import HCSTVGAnnotation


@DATASETS.register_module()
class HCSTVGDataset(HCSTVGAnnotation, BaseSTVGDataset):
    """HC-STVG v1 / v2 / v2-test (``query_v2.json``) dataset.

    ``data_info`` keys: see ``docs/data_flow.md`` and :class:`HCSTVGAnnotation`.

    Args:
        ann_file (str): ``train.json`` / ``test.json`` (v1), ``train_v2.json`` /
            ``val_v2.json`` (v2) or ``query_v2.json`` (v2 test, no GT).
        version (str): ``'auto'``, ``'v1'`` or ``'v2'`` (:class:`HCSTVGAnnotation`).
            Defaults to ``'auto'``.
        video_duration (float): seconds per video (``fps = img_num / video_duration``).
            Defaults to 20.0 (all HC-STVG videos).
        st_frame_base (int): index of the first frame in ``st_frame``: 1 (the annotation's
            1-based index, default) or 0 (TubeDETR's reading, one frame later; see
            :class:`HCSTVGAnnotation`).
        **kwargs: :class:`BaseSTVGDataset` arguments (``data_prefix=dict(video=...,
            feature=...)``, ``skip_invalid``, ``check_video_exists``, ``pipeline`` ...).
    """

    METAINFO: dict = dict(dataset_name='hcstvg')
