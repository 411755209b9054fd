"""Videos with a display rotation (a display matrix, as phones write): mmstvg decodes them
upright, as the ffmpeg program and OpenCV show them (and as the reference code bases, which
extract frames with ffmpeg, saw them when the annotations' boxes were drawn), with every
decoder and in the probed size; an annotation made on the unrotated frames is a size
mismatch naming the swap.

The fixture: raw (stored) frames of 32 x 64 (H x W) with a white block in the raw left
quarter, stored with a 90-degree counter-clockwise display rotation. Shown upright the
frames are 64 x 32 and the block is the bottom quarter.
"""
import numpy as np
import pytest
from mmcv.transforms import Compose

import mmstvg.datasets.transforms  # noqa: F401
from mmstvg.registry import TRANSFORMS
from mmstvg.testing import write_test_video
from mmstvg.utils.video_io import (VideoMismatchError, decode_frames, display_rotation,
                                   probe_video, read_video, to_display)

av = pytest.importorskip('av')
if not hasattr(av.video.stream.VideoStream, 'set_display_rotation'):
    pytest.skip('this PyAV cannot write a display matrix', allow_module_level=True)

RAW_H, RAW_W, NUM = 32, 64, 6


def _raw_frames():
    frames = np.full((NUM, RAW_H, RAW_W, 3), 60, np.uint8)
    frames[:, :, :RAW_W // 4] = 255  # the raw left quarter
    frames[:, :4, RAW_W // 4:] = 150  # a marker on the raw top rows
    return frames


@pytest.fixture(scope='module', params=[0, 90, 180, 270])
def rotated(request, tmp_path_factory):
    rotation = request.param
    path = str(tmp_path_factory.mktemp('rot') / f'rot{rotation}.mp4')
    write_test_video(path, frames=_raw_frames(), fps=10, display_rotation=rotation)
    return path, rotation


def _upright(rotation):
    """What a player shows: the raw frames turned counter-clockwise."""
    return np.stack([np.rot90(f, rotation // 90) for f in _raw_frames()])


def test_to_display_turns_counter_clockwise():
    img = np.arange(6).reshape(2, 3, 1)  # [[0 1 2] [3 4 5]]
    assert to_display(img, 90)[..., 0].tolist() == [[2, 5], [1, 4], [0, 3]]
    assert to_display(img, 180)[..., 0].tolist() == [[5, 4, 3], [2, 1, 0]]
    assert to_display(img, 270)[..., 0].tolist() == [[3, 0], [4, 1], [5, 2]]
    assert to_display(img, 0) is img


def test_probe_and_decode_are_upright(rotated):
    path, rotation = rotated
    container = av.open(path)
    frame = next(container.decode(video=0))
    assert display_rotation(frame) == rotation  # the matrix was written and is read
    assert (frame.height, frame.width) == (RAW_H, RAW_W)  # PyAV itself does not turn
    container.close()

    expected = _upright(rotation)
    info = probe_video(path)
    assert info.rotation == rotation
    assert (info.height, info.width) == expected.shape[1:3]
    assert (probe_video(path,
                        decode=True).height, probe_video(path,
                                                         decode=True).width) == expected.shape[1:3]
    frames = read_video(path)
    assert frames.shape == expected.shape
    np.testing.assert_allclose(frames.astype(int), expected.astype(int), atol=12)
    imgs, _ = decode_frames(path, [5, 0, 0])
    assert [img.shape for img in imgs] == [expected.shape[1:]] * 3


def test_same_pixels_as_opencv(rotated):
    """OpenCV's FFmpeg reader applies the display matrix (as the ffmpeg program does):
    mmstvg's frames equal its frames."""
    cv2 = pytest.importorskip('cv2')
    path, rotation = rotated
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        pytest.skip('OpenCV was built without a video reader')
    ok, bgr = cap.read()
    cap.release()
    assert ok
    if rotation and bgr.shape[:2] == (RAW_H, RAW_W) and rotation != 180:
        pytest.skip('this OpenCV build does not apply the display rotation')
    ours = read_video(path, [0])[0]
    assert ours.shape == bgr.shape
    np.testing.assert_allclose(ours.astype(int), bgr[..., ::-1].astype(int), atol=12)


def _pipeline(decoder, path, **ann):
    init = 'mmaction.PyAVInit' if decoder == 'STVGPyAVDecode' else 'mmaction.DecordInit'
    pipeline = Compose([TRANSFORMS.build(dict(type=init)), TRANSFORMS.build(dict(type=decoder))])
    return pipeline(dict(filename=path, frame_inds=np.arange(NUM), **ann))


@pytest.mark.parametrize('decoder', ['STVGPyAVDecode', 'STVGDecordDecode'])
def test_boxes_of_the_upright_frame_land_on_the_target(rotated, decoder):
    if decoder == 'STVGDecordDecode':
        pytest.importorskip('decord')
    path, rotation = rotated
    height, width = _upright(rotation).shape[1:3]
    out = _pipeline(decoder, path, num_frames=NUM, fps=10., height=height, width=width)
    assert tuple(out['img_shape']) == (height, width)
    # the white block, in the pixels of the upright frame (as an annotator drew it)
    block = {
        0: (0, 0, RAW_W // 4, RAW_H),
        90: (0, height - RAW_W // 4, width, height),
        180: (width - RAW_W // 4, 0, width, height),
        270: (0, 0, width, RAW_W // 4)
    }[rotation]
    x1, y1, x2, y2 = block
    for img in out['imgs']:
        assert img[y1:y2, x1:x2].mean() > 240
        outside = np.ones(img.shape[:2], bool)
        outside[y1:y2, x1:x2] = False
        assert img[outside].mean() < 160


@pytest.mark.parametrize('decoder', ['STVGPyAVDecode', 'STVGDecordDecode'])
def test_annotation_of_the_unrotated_frames_is_a_mismatch(rotated, decoder):
    if decoder == 'STVGDecordDecode':
        pytest.importorskip('decord')
    path, rotation = rotated
    if rotation in (0, 180):
        pytest.skip('a half turn keeps the frame size: nothing tells it from the annotation')
    with pytest.raises(VideoMismatchError, match='width and height swapped') as err:
        _pipeline(decoder, path, height=RAW_H, width=RAW_W)
    assert path in str(err.value) and err.value.problems[0][0] == 'size_mismatch'
