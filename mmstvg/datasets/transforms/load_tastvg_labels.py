"""TA-STVG's per-query annotation: the subject prepended to the sentence and the attribute /
action word labels of its target-aware modules.

TA-STVG (HengLan/TA-STVG) ships ``annos/train.json`` and ``annos/test.json`` (in its
``data.tar``) mapping each query to ``{'sub': subject, 'adj_index_list': [...],
'verb_index_list': [...]}``: HC-STVG queries by video name (``vid``), VidSTG queries by the
sentence annotation id (``item_id``). Its model looks them up itself and grounds ``sub + ' ' +
sentence``; here this transform does it before the tokenizer, and the labels travel in the
data sample's metainfo (``ta_attr_labels``, ``ta_action_labels``) to
:class:`~mmstvg.models.grounders.TASTVG`'s losses (add them to ``PackSTVGInputs``'s
``meta_keys``).

Note: mmstvg's VidSTG dataset does not keep the sentence annotation id in its results, so the
VidSTG configs need ``key`` to name a result key that holds it (not yet provided: documented in
``configs/tastvg/README.md``).
"""
import json
from typing import Optional

from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadTASTVGLabels(BaseTransform):
    """Prefix the subject and add TA-STVG's word labels (module docstring).

    Required Keys: ``key`` (the query's id in the file), ``sentence_key``.

    Modified Keys: ``sentence_key`` (``subject + ' ' + sentence``).

    Added Keys: ``ta_attr_labels``, ``ta_action_labels`` (lists of word indices).

    Args:
        ann_file (str): TA-STVG's ``annos/train.json`` or ``annos/test.json``.
        key (str): result key holding the query's id in that file. Defaults to
            ``'video_name'`` (HC-STVG).
        sentence_key (str): Defaults to ``'sentence'``.
        strip_ext (bool): also try the id without its file extension. Defaults to True.
    """

    def __init__(self,
                 ann_file: str,
                 key: str = 'video_name',
                 sentence_key: str = 'sentence',
                 strip_ext: bool = True) -> None:
        self.ann_file = ann_file
        self.key = key
        self.sentence_key = sentence_key
        self.strip_ext = strip_ext
        self._labels: Optional[dict] = None

    def _entry(self, qid) -> dict:
        if self._labels is None:
            with open(self.ann_file) as f:
                self._labels = json.load(f)
        for candidate in (str(qid), str(qid).rsplit('.', 1)[0] if self.strip_ext else None):
            if candidate is not None and candidate in self._labels:
                return self._labels[candidate]
        raise KeyError(f'LoadTASTVGLabels: query {qid!r} (`{self.key}`) is not in '
                       f'{self.ann_file}')

    def transform(self, results: dict) -> dict:
        """Prefix the subject and add the labels."""
        entry = self._entry(results[self.key])
        results[self.sentence_key] = f"{entry['sub']} {results[self.sentence_key]}"
        results['ta_attr_labels'] = list(entry.get('adj_index_list', []))
        results['ta_action_labels'] = list(entry.get('verb_index_list', []))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(ann_file={self.ann_file!r}, key={self.key!r})'
