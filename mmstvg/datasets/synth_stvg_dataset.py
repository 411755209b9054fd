"""The synthetic STVG benchmark's dataset:
:class:`~mmstvg.datasets.synth_stvg_annotation.SynthSTVGAnnotation` (HC-STVG v2 read with
each record's frame rate, documented there) with mmengine's ``BaseDataset``.
"""
from mmstvg.registry import DATASETS
from .hcstvg_dataset import HCSTVGDataset
from .synth_stvg_annotation import SynthSTVGAnnotation


@DATASETS.register_module()
class SynthSTVGDataset(SynthSTVGAnnotation, HCSTVGDataset):
    """Synthetic STVG dataset: HC-STVG v2 layout with per-record ``fps``.

    ``data_info`` keys: as :class:`HCSTVGDataset` (``docs/data_flow.md``), with ``fps`` the
    record's ``fps`` (:class:`SynthSTVGAnnotation`).

    Args:
        ann_file (str): ``anno_v2/train_v2.json``, ``anno_v2/val_v2.json``,
            ``anno_v2/test_v2.json`` or the query-only ``anno_v2/query_v2.json``.
        fps (float, optional): frame rate for records without ``fps``. Defaults to None.
        **kwargs: :class:`BaseSTVGDataset` arguments (``data_root``,
            ``data_prefix=dict(video='videos')``, ``pipeline`` ...); ``version`` is fixed to
            ``'v2'`` and ``video_duration`` is not used.
    """

    METAINFO: dict = dict(dataset_name='synth_stvg')
