"""Base class of the STVG evaluation protocols (registry ``EVAL_PROTOCOLS``, pure numpy).

A protocol says how one query is scored: which frames count, what a missing prediction is
worth and what is done to a model's prediction before scoring. It owns its parameters
(``SampledProtocol(eval_fps=5)``) and is built by name or config,
``mmstvg.evaluation.functional.build_protocol('sampled')`` or
``build_protocol(dict(type='sampled', eval_fps=2))``: what ``STVGMetric(protocol=...)`` and
``tools/analysis_tools/eval_submission.py --protocol`` do, so both score alike. The loop over
queries and the dataset means are shared (``evaluate_stvg``, ``aggregate_stvg_results``).

Adding one is one file in this folder (``docs/evaluation_protocols.md``, "Adding a protocol").
"""
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, Mapping

from mmstvg.registry import EVAL_PROTOCOLS
from mmstvg.structures.tube import Tube


class BaseProtocol(metaclass=ABCMeta):
    """How one query is scored; subclasses implement :meth:`score`.

    ``gt`` is the dict of ``mmstvg.evaluation.functional.query_gt`` (``span``, ``bboxes`` one
    per frame of the span, ``clip``, ``fps``, ``num_frames``, ``sentence_type``); ``pred`` a
    :class:`~mmstvg.structures.Tube` (or a dict of the same fields), in original frames and
    pixels.
    """

    #: a query without prediction scores tIoU = vIoU = 0; False: it is an error naming it
    missing_pred_scores_zero: bool = False

    @property
    def name(self) -> str:
        """The name this protocol is registered under (what configs and ``--protocol``
        give)."""
        for key, cls in EVAL_PROTOCOLS.module_dict.items():
            if cls is type(self):
                return key
        return type(self).__name__

    def prepare_pred(self, pred: Tube) -> Tube:
        """The tube scored for a model's prediction (``STVGMetric``; a submission file is
        scored as it is). Defaults to the prediction itself."""
        return pred

    def score_query(self, gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
        """tIoU and vIoU of one query.

        Args:
            gt (Mapping): the query's GT dict (class docstring).
            pred (Tube | Mapping, optional): its prediction; None when there is none.
            qid (optional): the query id, for messages.

        Returns:
            dict: ``tIoU`` and ``vIoU`` in [0, 1].

        Raises:
            KeyError: no prediction, under a protocol that does not score that as 0.
        """
        if pred is None:
            if self.missing_pred_scores_zero:
                return dict(tIoU=0.0, vIoU=0.0)
            raise KeyError(f'no prediction for query {qid!r} (protocol {self.name!r} does not '
                           'score a missing prediction as 0)')
        return self.score(gt, pred, qid=qid)

    @abstractmethod
    def score(self, gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
        """tIoU and vIoU of one query that has a prediction (see :meth:`score_query`)."""

    def __repr__(self) -> str:
        params = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({params})'
