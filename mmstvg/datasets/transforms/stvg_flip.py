"""Horizontal flip of a whole tube that keeps the sentence true (TubeDETR-style augmentation).

mmaction2's ``Flip`` already flips all frames and the (N, 4) ``gt_bboxes`` with one decision
per sample. What it lacks for STVG, added here:

1. the sentence: "the man on the left" must become "the man on the right" when the frames
   are mirrored. Whole words only, case kept (``Left`` -> ``Right``, ``LEFT`` -> ``RIGHT``),
   including ``leftmost``/``rightmost`` etc. (``word_pairs``). Like TubeDETR's word swap it
   cannot tell the verb "left" ("he left the room") from the direction;
2. zero rows (frames outside the GT span) would become ``[W, 0, W, 0]`` (``x' = W - x``);
   they are set back to zero;
3. ``results['modality']`` is required by ``Flip``; it defaults to ``'RGB'`` here;
4. ``Flip`` flips the frames IN PLACE, so a frame array referenced twice in ``imgs`` (a
   repeated frame index, e.g. from mmaction2's ``PyAVDecode`` or crop views of one array) is
   flipped twice, i.e. not at all; this subclass flips out of place;
5. ``flip`` is recorded as a Python ``bool`` (``Flip`` stores ``np.bool_``);
6. precomputed clip feature maps ``features`` (N, h, w, C) (``LoadSTVGFeatures``) are
   mirrored along w with the frames, so that they stay aligned with them (STVGFormer's
   static-to-dynamic interaction reads the static attention at the dynamic map's positions).
   Mirroring a feature map is not the same as extracting features of mirrored frames (the
   backbone's filters are not mirror-symmetric); it keeps the positions right, and the
   pretrained video backbones were trained with horizontal flips. Per-frame feature vectors
   (N, C) are left as they are.
"""
import re
from typing import Sequence, Tuple

import mmcv
import numpy as np
from mmaction.datasets.transforms import Flip

from mmstvg.registry import TRANSFORMS

DEFAULT_WORD_PAIRS = (('left', 'right'), ('leftmost', 'rightmost'), ('leftward', 'rightward'),
                      ('leftwards', 'rightwards'))


def _match_case(word: str, template: str) -> str:
    """Return ``word`` with the case pattern of ``template``."""
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@TRANSFORMS.register_module()
class STVGFlip(Flip):
    """Flip frames, boxes and the sentence (see module docstring for what it adds to ``Flip``).

    Required Keys:

    - imgs (list[np.ndarray], optional): N frames (H, W, 3).
    - img_shape (tuple[int, int]): (H, W).
    - gt_bboxes (np.ndarray, optional): (N, 4) xyxy in the current pixels.
    - frame_in_span (np.ndarray, optional): (N,) bool; rows outside the span stay zero.
      Without it, rows that were all zero stay zero.
    - sentence (str, optional): the query text (``text_key``).
    - features (np.ndarray, optional): (N, h, w, C) clip feature maps.

    Modified Keys:

    - imgs, gt_bboxes, sentence, features (when flipped horizontally).

    Added Keys:

    - flip (bool), flip_direction (str), modality (str, default ``'RGB'``).

    Args:
        flip_ratio (float): probability of flipping. Defaults to 0.5.
        direction (str): ``'horizontal'`` or ``'vertical'`` (the sentence is only changed
            for horizontal flips; ``Flip`` refuses vertical flips of boxes).
            Defaults to ``'horizontal'``.
        word_pairs (Sequence[tuple[str, str]]): lower-case words swapped with each other on
            a horizontal flip. Defaults to left/right, leftmost/rightmost,
            leftward(s)/rightward(s).
        text_key (str): key of the sentence in the results. Defaults to ``'sentence'``.
    """

    def __init__(self,
                 flip_ratio: float = 0.5,
                 direction: str = 'horizontal',
                 word_pairs: Sequence[Tuple[str, str]] = DEFAULT_WORD_PAIRS,
                 text_key: str = 'sentence') -> None:
        super().__init__(flip_ratio=flip_ratio, direction=direction)
        self.word_pairs = tuple((str(a).lower(), str(b).lower()) for a, b in word_pairs)
        self.text_key = text_key
        self._swap = {}
        for a, b in self.word_pairs:
            self._swap[a] = b
            self._swap[b] = a
        words = sorted(self._swap, key=len, reverse=True)
        self._pattern = re.compile(r'\b(' + '|'.join(map(re.escape, words)) +
                                   r')\b', re.IGNORECASE) if words else None

    def swap_words(self, sentence: str) -> str:
        """Swap every word of ``word_pairs`` in ``sentence`` (whole words, case kept)."""
        if self._pattern is None:
            return sentence
        return self._pattern.sub(lambda m: _match_case(self._swap[m.group(0).lower()], m.group(0)),
                                 sentence)

    def _flip_imgs(self, imgs, modality):
        """Flip out of place (``Flip`` flips in place, see module docstring, item 4)."""
        axis = 1 if self.direction == 'horizontal' else 0
        imgs = [np.ascontiguousarray(np.flip(img, axis=axis)) for img in imgs]
        if modality == 'Flow':  # as Flip: the 1st of each 2 frames is flow-x
            for i in range(0, len(imgs), 2):
                imgs[i] = mmcv.iminvert(imgs[i])
        return imgs

    def transform(self, results: dict) -> dict:
        """Flip (with probability ``flip_ratio``).

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        results.setdefault('modality', 'RGB')
        keep_zero = None
        if results.get('gt_bboxes') is not None:
            if 'frame_in_span' in results:
                keep_zero = ~np.asarray(results['frame_in_span'], dtype=bool)
            else:
                keep_zero = (np.asarray(results['gt_bboxes']) == 0).all(axis=-1)
        results = super().transform(results)
        flip = bool(results['flip'])
        results['flip'] = flip
        if flip and self.direction == 'horizontal':
            if keep_zero is not None and keep_zero.any():
                results['gt_bboxes'][keep_zero] = 0
            if isinstance(results.get(self.text_key), str):
                results[self.text_key] = self.swap_words(results[self.text_key])
            feats = results.get('features')
            if feats is not None and np.ndim(feats) == 4:
                results['features'] = np.ascontiguousarray(np.flip(feats, axis=2))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(flip_ratio={self.flip_ratio}, '
                f'direction={self.direction}, word_pairs={self.word_pairs}, '
                f'text_key={self.text_key!r})')
