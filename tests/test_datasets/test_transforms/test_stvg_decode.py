"""Decoding the rendered square video at chosen frame indices.

mmaction2's ``PyAVInit`` + ``PyAVDecode`` are used as-is from configs (``type='mmaction.X'``);
the mmstvg decoders fix what they get wrong for STVG (see their module docstrings).
"""
import numpy as np
import pytest
from mmcv.transforms import Compose
from stvg_transform_helpers import NUM_FRAMES, red_bbox, square_box

import mmstvg.datasets.transforms  # noqa: F401
from mmstvg.registry import TRANSFORMS


def _decode(pipeline, filename, frame_inds):
    pipeline = Compose([TRANSFORMS.build(t) for t in pipeline])
    return pipeline(dict(filename=filename, frame_inds=np.asarray(frame_inds, np.int64)))


def _assert_frames(imgs, frame_inds):
    assert len(imgs) == len(frame_inds)
    for img, i in zip(imgs, frame_inds):
        assert img.dtype == np.uint8 and img.shape == (48, 64, 3)
        np.testing.assert_allclose(red_bbox(img), square_box(i), atol=1)


INDS = [0, 0, 3, 7, 7, 12, 23]  # sorted, with duplicates, up to the last frame


@pytest.mark.parametrize('decoder',
                         [dict(type='mmaction.PyAVDecode'),
                          dict(type='STVGPyAVDecode')])
def test_pyav_decode_gives_the_right_frames(square_video, decoder):
    out = _decode([dict(type='mmaction.PyAVInit'), decoder], square_video, INDS)
    _assert_frames(out['imgs'], INDS)
    assert tuple(out['original_shape']) == (48, 64) and tuple(out['img_shape']) == (48, 64)
    assert out['video_reader'] is None


def test_mmaction_pyav_wraps_out_of_range_and_shares_duplicates(square_video):
    """Why STVGPyAVDecode exists: past the end, mmaction returns frames of the START."""
    out = _decode([dict(type='mmaction.PyAVInit'),
                   dict(type='mmaction.PyAVDecode')], square_video, [2, 2, NUM_FRAMES + 1])
    np.testing.assert_allclose(red_bbox(out['imgs'][2]), square_box(1), atol=1)
    assert out['imgs'][0] is out['imgs'][1]  # in-place Flip would flip it twice


def test_stvg_pyav_decode_out_of_range(square_video):
    out = _decode([dict(type='mmaction.PyAVInit'),
                   dict(type='STVGPyAVDecode')], square_video,
                  [5, 5, NUM_FRAMES + 1])  # 2 frames past the end: clamped
    np.testing.assert_allclose(red_bbox(out['imgs'][2]), square_box(NUM_FRAMES - 1), atol=1)
    assert out['imgs'][0] is not out['imgs'][1]
    assert out['total_frames'] == NUM_FRAMES
    # further past the end the video is truncated: an error, not repeated frames
    with pytest.raises(IndexError, match='truncated video'):
        _decode([dict(type='mmaction.PyAVInit'),
                 dict(type='STVGPyAVDecode')], square_video, [1, NUM_FRAMES + 2])
    out = _decode([dict(type='mmaction.PyAVInit'),
                   dict(type='STVGPyAVDecode', max_clamp=None)], square_video, [NUM_FRAMES + 5])
    np.testing.assert_allclose(red_bbox(out['imgs'][0]), square_box(NUM_FRAMES - 1), atol=1)
    with pytest.raises(IndexError, match='square.mp4'):
        _decode(
            [dict(type='mmaction.PyAVInit'),
             dict(type='STVGPyAVDecode', out_of_range='error')], square_video, [1, NUM_FRAMES])


def test_decord_decode(square_video):
    pytest.importorskip('decord')
    boxes = np.array([[1, 2, 3, 4]], np.float32)
    pipeline = [dict(type='mmaction.DecordInit'), dict(type='STVGDecordDecode')]
    out = Compose([TRANSFORMS.build(t) for t in pipeline])(
        dict(filename=square_video, frame_inds=np.asarray(INDS), gt_bboxes=boxes.copy()))
    _assert_frames(out['imgs'], INDS)
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)  # absolute boxes untouched
    # mmaction's DecordDecode scales absolute boxes by (w, h, w, h): why STVGDecordDecode
    pipeline[1] = dict(type='mmaction.DecordDecode')
    out = Compose([TRANSFORMS.build(t) for t in pipeline])(
        dict(filename=square_video, frame_inds=np.asarray(INDS), gt_bboxes=boxes.copy()))
    np.testing.assert_array_equal(out['gt_bboxes'], boxes * [64, 48, 64, 48])
    out = _decode([dict(type='mmaction.DecordInit'),
                   dict(type='STVGDecordDecode')], square_video, [NUM_FRAMES + 1])
    np.testing.assert_allclose(red_bbox(out['imgs'][0]), square_box(NUM_FRAMES - 1), atol=1)
    with pytest.raises(IndexError, match='truncated video'):
        _decode([dict(type='mmaction.DecordInit'),
                 dict(type='STVGDecordDecode')], square_video, [NUM_FRAMES + 2])


def test_decord_decode_shares_the_policy_of_pyav(square_video):
    """Both decoders go through video_io.decode_frames: same frames, same copies of a repeated
    index, same errors naming the file."""
    pytest.importorskip('decord')
    inds = [5, 5, NUM_FRAMES + 1]
    outs = [
        _decode([dict(type=f'mmaction.{init}'), dict(type=decoder)], square_video, inds)
        for init, decoder in (('PyAVInit', 'STVGPyAVDecode'), ('DecordInit', 'STVGDecordDecode'))
    ]
    for out in outs:
        assert out['imgs'][0] is not out['imgs'][1]  # in-place Flip flips each once
        assert out['total_frames'] == NUM_FRAMES and out['video_reader'] is None
    for a, b in zip(*(out['imgs'] for out in outs)):
        np.testing.assert_allclose(red_bbox(a), red_bbox(b), atol=1)
    with pytest.raises(IndexError, match='square.mp4'):
        _decode([
            dict(type='mmaction.DecordInit'),
            dict(type='STVGDecordDecode', out_of_range='error')
        ], square_video, [1, NUM_FRAMES])


def test_decord_efficient_mode_is_refused():
    """mmaction's 'efficient' mode returns key frames, not the frames asked for."""
    with pytest.raises(ValueError, match='key frame'):
        TRANSFORMS.build(dict(type='STVGDecordDecode', mode='efficient'))
    with pytest.raises(ValueError, match="'accurate'"):
        TRANSFORMS.build(dict(type='STVGDecordDecode', mode='fast'))
    decoder = TRANSFORMS.build(dict(type='STVGDecordDecode', mode='accurate'))
    assert 'out_of_range' in repr(decoder) and decoder.mode == 'accurate'


def test_missing_and_corrupt_video_raise(tmp_path):
    init = [dict(type='mmaction.PyAVInit'), dict(type='STVGPyAVDecode')]
    with pytest.raises(FileNotFoundError):
        _decode(init, str(tmp_path / 'missing.mp4'), [0])
    bad = tmp_path / 'corrupt.mp4'
    bad.write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 8)
    with pytest.raises(Exception):  # av.error.InvalidDataError
        _decode(init, str(bad), [0])


def test_repr():
    assert repr(TRANSFORMS.build(dict(type='STVGPyAVDecode'))) == (
        "STVGPyAVDecode(multi_thread=False, max_clamp=2, out_of_range='clamp', "
        'check_annotation=True)')
    with pytest.raises(ValueError):
        TRANSFORMS.build(dict(type='STVGPyAVDecode', out_of_range='wrap'))
