"""``hcstvg_official``: the HC-STVG challenge's ``eval_hcvg.py``.

Inclusive ends, as the challenge's files: ``all_frame = max(ed) - min(st) + 1``;
``vIoU = sum of IoU over the GT frames that carry a predicted box / all_frame`` and
``tIoU = (number of such frames) / all_frame``, no interpolation; a missing prediction
scores 0. Kernel: :func:`~mmstvg.evaluation.functional.eval_query_hcstvg_official`.

The challenge scores submission files, which hold one box per frame of the predicted span
(``tube_to_submission_entry``); a model's prediction is densified the same way before it is
scored (:meth:`HCSTVGOfficialProtocol.prepare_pred`), so that ``STVGMetric`` and
``eval_submission.py`` on the file it dumps give the same numbers.
"""
from typing import Any, Dict, Mapping

from mmstvg.registry import EVAL_PROTOCOLS
from mmstvg.structures.tube import Tube
from ..functional.stvg_protocols import eval_query_hcstvg_official
from .base_protocol import BaseProtocol


@EVAL_PROTOCOLS.register_module(name='hcstvg_official')
class HCSTVGOfficialProtocol(BaseProtocol):
    """The challenge's protocol (module docstring); it has no parameter."""

    missing_pred_scores_zero = True

    def prepare_pred(self, pred: Tube) -> Tube:
        """One box per frame of the predicted span, as a submission file holds."""
        return pred.densify()

    def score(self, gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
        return eval_query_hcstvg_official(gt, pred, qid=qid)
