"""The data element that travels from the pipeline through the model to the metric.

Conventions (``docs/data_formats.md``): frame indices are 0-based indices of the
ORIGINAL video; spans are half-open ``[start, end)``; boxes outside the model are absolute
``xyxy`` pixels of the original video.

Fields of :class:`STVGDataSample`:

- metainfo (set by ``PackSTVGInputs``): ``qid``, ``video_name``, ``sentence``,
  ``sentence_type`` ('declarative' | 'interrogative' | None), ``num_frames`` (frames in the
  video), ``fps``, ``ori_shape`` (H, W), ``img_shape`` (H, W after the pipeline),
  ``clip`` ([start, end) of the frames the query lives in), ``frame_inds`` ((N,) original
  index of every sampled frame, sorted), ``num_passes`` (test-time passes, see
  ``SampleSTVGFrames``), ``flip`` ...
- ``gt_tube`` (:class:`mmengine.structures.BaseDataElement`), absent on a test split:
    * ``span``: LongTensor (2,), GT ``[start, end)`` in original frames.
    * ``bboxes``: FloatTensor (end - start, 4), GT xyxy boxes in original pixels, one per
      frame of the span (untouched by the pipeline: this is what the metric scores).
    * ``frame_bboxes``: FloatTensor (N, 4), xyxy boxes of the sampled frames in the pipeline's
      output pixels (after resize/crop/flip); rows of frames outside the span are zero.
    * ``frame_in_span``: BoolTensor (N,), whether each sampled frame lies in the GT span.
- ``pred_tube`` (:class:`mmengine.structures.BaseDataElement`), set by ``model.predict``:
    * ``span``: LongTensor (2,), predicted ``[start, end)`` in original frames.
    * ``frame_ids``: LongTensor (K,), original frames that carry a predicted box (sorted, all
      inside ``span``).
    * ``bboxes``: FloatTensor (K, 4), xyxy boxes in original pixels.
    * ``score`` (optional): float confidence of the tube.
- ``parse_status`` (str, optional), set by a multimodal LLM grounder (``MLLMGrounder``): how
  its answer was read (``mmstvg.structures.PARSE_STATUSES``); ``STVGMetric`` counts them.
  With it, ``answer`` (str): the model's answer text, and ``parse_notes`` (list[str]): what
  the parser repaired or why it failed.
"""
from mmengine.structures import BaseDataElement


class STVGDataSample(BaseDataElement):
    """Data sample of one (video, sentence) query; see the module docstring for fields."""

    @property
    def gt_tube(self) -> BaseDataElement:
        return self._gt_tube

    @gt_tube.setter
    def gt_tube(self, value: BaseDataElement) -> None:
        self.set_field(value, '_gt_tube', dtype=BaseDataElement)

    @gt_tube.deleter
    def gt_tube(self) -> None:
        del self._gt_tube

    @property
    def pred_tube(self) -> BaseDataElement:
        return self._pred_tube

    @pred_tube.setter
    def pred_tube(self, value: BaseDataElement) -> None:
        self.set_field(value, '_pred_tube', dtype=BaseDataElement)

    @pred_tube.deleter
    def pred_tube(self) -> None:
        del self._pred_tube
