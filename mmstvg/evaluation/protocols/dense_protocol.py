"""``dense``: the STCAT family's protocol (STCAT, CG-STVG, TA-STVG).

Every raw frame counts: ``tIoU = |inter| / |union|``, ``vIoU = sum of IoU over the frames of
the intersection / |union|``, predicted boxes interpolated between the predicted frames.
Unlike those codebases, every frame of the half-open GT span counts (they drop the last one).
A query without prediction is an error. Kernel:
:func:`~mmstvg.evaluation.functional.eval_query_dense`.
"""
from typing import Any, Dict, Mapping

from mmstvg.registry import EVAL_PROTOCOLS
from ..functional.stvg_protocols import eval_query_dense
from .base_protocol import BaseProtocol


@EVAL_PROTOCOLS.register_module(name='dense')
class DenseProtocol(BaseProtocol):
    """The ``dense`` protocol (module docstring); it has no parameter."""

    def score(self, gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
        return eval_query_dense(gt, pred, qid=qid)
