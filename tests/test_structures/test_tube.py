"""mmstvg.structures.tube: the one tube structure (conversion, merge of repeated frames,
interpolation, densification), on hand-built cases."""
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmstvg.structures import Tube

BOX_A = [0, 0, 2, 2]
BOX_B = [2, 0, 4, 2]


def test_merge_repeated_averages_and_sorts():
    # frames 5, 3, 5: frame 5 twice -> mean of [2,2,4,4] and [4,4,6,6] = [3,3,5,5]
    tube = Tube((3, 6), [5, 3, 5], [[2, 2, 4, 4], [0, 0, 1, 1], [4, 4, 6, 6]]).merge_repeated()
    assert tube.span == (3, 6)
    assert tube.frame_ids.tolist() == [3, 5]
    np.testing.assert_array_equal(tube.bboxes, [[0, 0, 1, 1], [3, 3, 5, 5]])
    # the grounders' case: three passes over a short clip repeat 6 three times
    tube = Tube(
        (3, 7), [3, 3, 4, 6, 6, 6],
        [[0, 0, 2, 2], [2, 2, 4, 4], [1, 1, 1, 1], [0, 0, 3, 3], [3, 3, 6, 6], [6, 6, 9, 9]])
    merged = tube.merge_repeated()
    assert merged.frame_ids.tolist() == [3, 4, 6]
    np.testing.assert_array_equal(merged.bboxes, [[1, 1, 3, 3], [1, 1, 1, 1], [3, 3, 6, 6]])
    assert tube.frame_ids.tolist() == [3, 3, 4, 6, 6, 6]  # the original is left as it was


def test_interpolation_between_key_frames_and_held_ends():
    # boxes at 10 and 14: 11 is 1/4 of the way, 12 half way; 8 and 16 hold the end boxes
    tube = Tube((10, 15), [14, 10], [[4, 0, 14, 20], [0, 0, 10, 10]])
    out = tube.interpolate([8, 10, 11, 12, 14, 16])
    np.testing.assert_allclose(out, [[0, 0, 10, 10], [0, 0, 10, 10], [1, 0, 11, 12.5],
                                     [2, 0, 12, 15], [4, 0, 14, 20], [4, 0, 14, 20]])
    assert out.dtype == np.float64
    # repeated key frames are averaged before interpolating
    tube = Tube((0, 3), [0, 0, 2], [[0, 0, 2, 2], [2, 2, 4, 4], [3, 3, 5, 5]])
    np.testing.assert_allclose(tube.interpolate([1]), [[2, 2, 4, 4]])
    with pytest.raises(ValueError, match='without any box'):
        Tube((0, 3)).interpolate([1])


def test_densify():
    # span [2, 5), boxes at 2 and 4: frame 3 is the mean
    dense = Tube((2, 5), [2, 4], [BOX_A, BOX_B]).densify()
    assert dense.span == (2, 5) and dense.frame_ids.tolist() == [2, 3, 4]
    np.testing.assert_allclose(dense.bboxes, [BOX_A, [1, 0, 3, 2], BOX_B])
    # boxes outside the span hold the ends inside it; the span decides the frames
    dense = Tube((0, 2), [5], [BOX_B]).densify()
    assert dense.frame_ids.tolist() == [0, 1]
    np.testing.assert_allclose(dense.bboxes, [BOX_B, BOX_B])
    # an empty span or a tube without a box has no box
    for tube in (Tube((5, 5), [5], [BOX_A]), Tube((4, 8))):
        dense = tube.densify()
        assert dense.frame_ids.shape == (0, ) and dense.bboxes.shape == (0, 4)
        assert dense.span == tube.span


def test_gt_tube_has_one_box_per_frame_by_default():
    tube = Tube(np.array([4, 7]), bboxes=np.tile(BOX_A, (3, 1)))
    assert tube.span == (4, 7) and tube.frame_ids.tolist() == [4, 5, 6]
    assert tube.frame_ids.dtype == np.int64 and tube.bboxes.dtype == np.float64
    assert Tube.from_data_info(dict(gt_span=(4, 7), gt_bboxes=np.tile(BOX_A, (3, 1)))) \
        .frame_ids.tolist() == [4, 5, 6]
    assert Tube.from_data_info(dict(gt_span=None, gt_bboxes=None)) is None


def test_from_element_reads_tensors_dicts_and_data_elements():
    pred = BaseDataElement(
        span=torch.tensor([3, 6]),
        frame_ids=torch.tensor([3, 5]),
        bboxes=torch.tensor([BOX_A, BOX_B], dtype=torch.float32),
        score=0.5)
    tube = Tube.from_element(pred)
    assert tube.span == (3, 6) and tube.frame_ids.tolist() == [3, 5]
    np.testing.assert_array_equal(tube.bboxes, [BOX_A, BOX_B])
    gt = Tube.from_element(dict(span=(1, 3), bboxes=[BOX_A, BOX_B]))  # GT: no frame_ids
    assert gt.frame_ids.tolist() == [1, 2]
    assert Tube.from_element(tube) is tube
    # bfloat16 (a bf16 autocast forward's boxes; numpy has no such dtype)
    half = Tube((3, 5), [3, 4], torch.tensor([BOX_A, BOX_B]).bfloat16())
    np.testing.assert_array_equal(half.bboxes, [BOX_A, BOX_B])
    assert Tube.from_element(None) is None
    assert Tube.from_element(BaseDataElement(bboxes=torch.zeros(0, 4))) is None  # no span
    with pytest.raises(ValueError, match='one box per frame id, got 2 frame ids and 1 boxes'):
        Tube.from_element(dict(span=(0, 2), frame_ids=[0, 1], bboxes=[BOX_A]))
    with pytest.raises(ValueError, match=r'span must be \(start, end\)'):
        Tube((1, 2, 3))


def test_to_element_and_back():
    tube = Tube((3, 6), [3, 5], [[0.5, 0, 2, 2], BOX_B])
    element = tube.to_element(score=0.25)
    assert element.span.dtype == torch.long and element.span.tolist() == [3, 6]
    assert element.frame_ids.dtype == torch.long and element.frame_ids.tolist() == [3, 5]
    assert element.bboxes.dtype == torch.float32 and element.score == 0.25
    back = Tube.from_element(element)
    assert back.span == tube.span and back.frame_ids.tolist() == tube.frame_ids.tolist()
    np.testing.assert_array_equal(back.bboxes, tube.bboxes)
    assert 'score' not in Tube((0, 1)).to_element()
    assert tube.to_dict()['span'] == (3, 6)
    # the metric's results hold tubes; they travel between ranks pickled
    again = pickle.loads(pickle.dumps(tube))
    assert again.span == tube.span and np.array_equal(again.bboxes, tube.bboxes)


def test_the_module_needs_no_torch():
    """The evaluation uses this module; it imports numpy only (torch only in to_element)."""
    path = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'mmstvg', 'structures',
        'tube.py')
    code = ('import importlib.util, sys\n'
            f'spec = importlib.util.spec_from_file_location("tube", {path!r})\n'
            'mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n'
            'mod.Tube((0, 2), [0], [[0, 0, 1, 1]]).densify()\n'
            'assert "torch" not in sys.modules, "torch imported"\n')
    subprocess.run([sys.executable, '-c', code], check=True)
