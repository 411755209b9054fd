"""Annotations of the synthetic STVG benchmark (``tools/data/synthetic/generate.py``; generator in
``mmstvg/datasets/synthetic``), read as HC-STVG v2 with its real frame rate.

The generator writes HC-STVG v2 records (``English``, ``bbox`` xywh, 1-based ``st_frame``,
inclusive ``ed_frame``, ``img_num``, ``img_size``) plus a per-record ``fps``. HC-STVG's own
videos all last 20 s, so :class:`HCSTVGDataset` derives ``fps = img_num / 20``; the synthetic
videos are short (64 frames at 16 fps = 4 s), so this class takes ``fps`` from the record
instead (or from the ``fps`` argument for the query-only ``query_v2.json``, which has none).
Everything else (0-based half-open ``gt_span``, xyxy ``gt_bboxes``, ``clip = [0, img_num)``,
extra raw keys such as ``action``, ``target``, ``actors`` in ``extra``) is
:class:`HCSTVGDataset`'s v2 conversion.
"""
import re
from typing import Any, List, Optional

from mmstvg.registry import ANNOTATION_FORMATS
from .hcstvg_annotation import HCSTVGAnnotation
from .stvg_annotation import MALFORMED, InvalidRecord, as_float


@ANNOTATION_FORMATS.register_module(name='synthetic')
class SynthSTVGAnnotation(HCSTVGAnnotation):
    """Synthetic STVG annotations: HC-STVG v2 layout with per-record ``fps``.

    ``data_info`` keys: as :class:`HCSTVGDataset` (``docs/data_flow.md``), with ``fps`` the
    record's ``fps`` and ``extra`` holding the generator's extra keys (``action``,
    ``target``, ``attributes``, ``actors``, ``seed``, ``st_time``, ``ed_time``).

    Args:
        ann_file (str): ``anno_v2/train_v2.json``, ``anno_v2/val_v2.json``,
            ``anno_v2/test_v2.json`` or the query-only ``anno_v2/query_v2.json``.
        fps (float, optional): frame rate for records without ``fps`` (the query-only file);
            a record's own ``fps`` always wins. Defaults to None (such records must carry
            ``fps``; query-only records then keep ``fps=None`` as in
            :class:`HCSTVGDataset`).
        **kwargs: :class:`HCSTVGAnnotation` / :class:`~mmstvg.datasets.BaseSTVGDataset` arguments
            (``data_root``, ``data_prefix=dict(video='videos')``, ``pipeline`` ...);
            ``version`` is fixed to ``'v2'`` and ``video_duration`` is not used.
    """

    METAINFO: dict = dict(dataset_name='synth_stvg')

    def __init__(self, ann_file: str, fps: Optional[float] = None, **kwargs) -> None:
        for key in ('version', 'video_duration'):
            if key in kwargs:
                raise TypeError(f'{type(self).__name__}: `{key}` is fixed (v2 layout, per-record '
                                'fps) and cannot be set')
        if fps is not None and not fps > 0:
            raise ValueError(f'{type(self).__name__}: fps must be > 0, got {fps}')
        self.default_fps = None if fps is None else float(fps)
        super().__init__(ann_file=ann_file, version='v2', **kwargs)

    @classmethod
    def match_annotation_file(cls, text: Optional[str], content: Any) -> int:
        """2 for a JSON object whose records carry ``fps`` (the generator writes it,
        HC-STVG's files never have it), above HC-STVG's 1; 0 otherwise (the query-only file,
        without ``fps``, reads as HC-STVG)."""
        if content is not None:
            return 2 * int(
                isinstance(content, dict)
                and any(isinstance(r, dict) and 'fps' in r for r in content.values()))
        return 2 * int(text.startswith('{') and re.search(r'"fps"\s*:', text) is not None)

    def parse_record(self, record_name: str, raw: Any) -> List[dict]:
        """HC-STVG v2 conversion, then ``fps`` from the record (see the module docstring)."""
        infos = super().parse_record(record_name, raw)
        for info in infos:
            if self.layout == 'query':
                info['fps'] = self.default_fps
                continue
            if 'fps' in raw:
                info['fps'] = as_float(raw['fps'], 'fps', positive=True)
            elif self.default_fps is not None:
                info['fps'] = self.default_fps
            else:
                raise InvalidRecord(
                    MALFORMED, 'missing key `fps` (synthetic records carry '
                    'their frame rate; or pass `fps=` to the dataset)')
            info['extra'].pop('fps', None)
        return infos
