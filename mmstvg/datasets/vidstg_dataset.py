"""VidSTG dataset: :class:`~mmstvg.datasets.vidstg_annotation.VidSTGAnnotation` (sentence
files + VidOR box files; the conventions are documented there) with mmengine's
``BaseDataset``.
"""
from mmstvg.registry import DATASETS
from .base_stvg_dataset import BaseSTVGDataset
from .vidstg_annotation import VidSTGAnnotation


@DATASETS.register_module()
class VidSTGDataset(VidSTGAnnotation, BaseSTVGDataset):
    """VidSTG dataset (:class:`VidSTGAnnotation` for the conventions and ``data_info``).

    Args:
        ann_file (str): sentence file (``{train,val,test}_annotations.json``).
        data_prefix (dict): ``video`` (VidOR video folder), ``vidor_anno`` (VidOR box file
            folder; required with ``load_boxes=True``), optionally ``feature``.
        load_boxes (bool): read the VidOR box files and return the GT tubes. Defaults to
            True.
        box_file_suffix (str): suffix of the box files. Defaults to ``'.json'``.
        video_filename_tmpl (str): video path relative to ``data_prefix['video']`` when the
            box file does not give one. Defaults to ``'{vid}.mp4'``.
        **kwargs: :class:`BaseSTVGDataset` arguments.
    """

    METAINFO: dict = dict(dataset_name='vidstg')
