"""mmstvg.utils.video_io: probe (counts, rates, per-frame timestamps, VFR), decode chosen
frames (PyAV and decord), the video / annotation tolerance, mp4 and GIF writing."""
import av
import numpy as np
import pytest

from mmstvg.testing import VFR_TIMESTAMPS, frame_index_of, write_test_video, write_vfr_video
from mmstvg.utils.video_io import (VideoMismatchError, VideoReadError, VideoWriter,
                                   check_frame_coverage, check_video_against_annotation,
                                   clamp_frame_indices, container_meta, decode_frames,
                                   gif_durations_ms, iter_frames, output_kind, probe_video,
                                   raise_on_mismatch, read_video, write_gif, write_video)


@pytest.mark.parametrize('suffix', ['.mp4', '.mkv', '.avi'])
@pytest.mark.parametrize('decode', [False, True])
def test_probe_constant_rate(tmp_path, suffix, decode):
    codec = 'mpeg4' if suffix == '.avi' else 'libx264'
    path = write_test_video(
        str(tmp_path / f'v{suffix}'), num_frames=13, size=(30, 44), fps=12.5, codec=codec)
    info = probe_video(path, decode=decode)
    assert (info.num_frames, info.height, info.width) == (13, 30, 44)
    assert info.fps == pytest.approx(12.5) and not info.is_vfr
    assert (info.codec, info.pix_fmt) == ('mpeg4' if suffix == '.avi' else 'h264', 'yuv420p')
    np.testing.assert_allclose(info.timestamps, np.arange(13) / 12.5, atol=1e-3)
    assert info.duration == pytest.approx(13 / 12.5, abs=1e-3)
    assert info.frame_time(13) == pytest.approx(info.duration)
    np.testing.assert_allclose(info.frame_time([0, 5]), [0, 0.4], atol=1e-3)
    assert info.meta() == dict(num_frames=13, fps=info.fps, height=30, width=44)
    # mkv does not record its frame count: the container header says None, probing counts
    assert info.container['num_frames'] == (None if suffix == '.mkv' else 13)
    with pytest.raises(IndexError):
        info.frame_time(14)


@pytest.mark.parametrize('suffix', ['.mp4', '.mkv', '.mov'])
def test_probe_variable_rate_reads_every_timestamp(tmp_path, suffix):
    path = write_vfr_video(str(tmp_path / f'vfr{suffix}'))
    for decode in (False, True):
        info = probe_video(path, decode=decode)
        assert info.num_frames == len(VFR_TIMESTAMPS) and info.is_vfr
        np.testing.assert_allclose(info.timestamps, VFR_TIMESTAMPS, atol=1e-3)
        # fps is the container's average rate (as the decoders see it), not the local rate
        assert info.fps == pytest.approx(info.container['fps'])
        # frame 9 is at 0.6 s; frame / fps is off
        assert info.frame_time(9) == pytest.approx(0.6, abs=1e-3)
        assert abs(9 / info.fps - 0.6) > 0.03


def test_probe_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        probe_video(str(tmp_path / 'missing.mp4'))
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video' * 50)
    with pytest.raises(VideoReadError, match='bad.mp4'):
        probe_video(str(bad))


def test_decode_frames_and_clamp_policy(tmp_path):
    path = write_test_video(str(tmp_path / 'v.mp4'), num_frames=10)
    inds = [7, 0, 3, 3, 9]
    imgs, available = decode_frames(path, inds)
    assert [frame_index_of(i) for i in imgs] == inds and available == -1
    assert imgs[2] is not imgs[3]  # a repeated index gets its own array
    # open containers (mmaction2's PyAVInit) are read and closed
    container = av.open(path)
    imgs, _ = decode_frames(container, [2])
    assert frame_index_of(imgs[0]) == 2
    # up to 2 frames past the end are clamped to the last frame, more is truncation
    imgs, available = decode_frames(path, [1, 11])
    assert [frame_index_of(i) for i in imgs] == [1, 9] and available == 10
    with pytest.raises(IndexError, match=r'v\.mp4.*truncated video'):
        decode_frames(path, [12])
    with pytest.raises(IndexError, match='truncated'):
        decode_frames(path, [10], out_of_range='error')
    imgs, _ = decode_frames(path, [40], max_clamp=None)
    assert frame_index_of(imgs[0]) == 9
    with pytest.raises(IndexError):
        decode_frames(path, [-1])
    # streaming, sorted, once each; past-the-end indices are not yielded
    assert [i for i, _ in iter_frames(path, [5, 1, 5, 30])] == [1, 5]
    assert [frame_index_of(img) for _, img in iter_frames(path)] == list(range(10))


def test_read_video_and_decode_errors_name_the_file(tmp_path):
    path = write_test_video(str(tmp_path / 'v.mp4'), num_frames=6, size=(30, 44))
    frames = read_video(path)
    assert frames.shape == (6, 30, 44, 3) and frames.dtype == np.uint8
    assert [frame_index_of(f) for f in frames] == list(range(6))
    assert [frame_index_of(f) for f in read_video(path, [4, 1])] == [1, 4]
    # a stream corrupt after its first frames: FFmpeg's error becomes a VideoReadError
    bad = write_test_video(str(tmp_path / 'bad.avi'), num_frames=30, codec='mpeg4')
    data = bytearray(open(bad, 'rb').read())
    for i in range(len(data) // 3, len(data), 7):
        data[i] = (data[i] * 31 + 7) % 256
    open(bad, 'wb').write(bytes(data))
    with pytest.raises(VideoReadError, match=r'bad\.avi after frame \d'):
        read_video(bad)
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        read_video(str(tmp_path / 'missing.mp4'))


def test_decode_frames_decord(tmp_path):
    decord = pytest.importorskip('decord')
    path = write_test_video(str(tmp_path / 'v.mp4'), num_frames=10)
    for video in (path, decord.VideoReader(path)):
        imgs, total = decode_frames(video, [4, 4, 11], backend='decord')
        assert [frame_index_of(i) for i in imgs] == [4, 4, 9] and total == 10
        assert imgs[0] is not imgs[1]
    with pytest.raises(IndexError, match='truncated'):
        decode_frames(path, [12], backend='decord')
    reader = decord.VideoReader(path)
    assert container_meta(reader) == dict(num_frames=10, fps=pytest.approx(reader.get_avg_fps()))
    with pytest.raises(ValueError, match='backend'):
        decode_frames(reader, [0], backend='opencv')


def test_tolerance_between_video_and_annotation():
    assert check_frame_coverage(16, 14) is None  # 2 short: clamped
    assert 'truncated' in check_frame_coverage(16, 13)
    assert check_frame_coverage(16, 15, out_of_range='error') is not None
    assert check_frame_coverage(16, 1, max_clamp=None) is None
    np.testing.assert_array_equal(clamp_frame_indices(np.array([3, 15, 14]), 14), [3, 13, 13])
    with pytest.raises(IndexError, match=r'x\.mp4: frame 16 requested.*truncated'):
        clamp_frame_indices(np.array([16]), 14, filename='x.mp4')
    with pytest.raises(IndexError, match='out_of_range'):
        clamp_frame_indices(np.array([14]), 14, out_of_range='error')
    ann = dict(num_frames=100, fps=25., height=360, width=640)
    ok = dict(num_frames=98, fps=25.2, height=360, width=640)
    assert check_video_against_annotation(ok, ann) == []
    bad = dict(num_frames=120, fps=30., height=720, width=1280)
    reasons = [r for r, _ in check_video_against_annotation(bad, ann)]
    assert reasons == ['size_mismatch', 'frame_count_mismatch', 'fps_mismatch']
    short = [r for r, _ in check_video_against_annotation(dict(num_frames=97), ann)]
    assert short == ['truncated_video']
    # unknown fields are not compared (e.g. mkv records no frame count)
    assert check_video_against_annotation(dict(num_frames=None, fps=None), ann) == []
    with pytest.raises(VideoMismatchError, match=r'x\.mp4.*1280x720.*640x360') as err:
        raise_on_mismatch(check_video_against_annotation(bad, ann), 'x.mp4')
    assert [r for r, _ in err.value.problems][0] == 'size_mismatch'


@pytest.mark.parametrize('suffix', ['.mp4', '.mkv', '.mov'])
def test_writer_keeps_given_frame_times(tmp_path, suffix):
    out = str(tmp_path / f'out{suffix}')
    frames = np.zeros((len(VFR_TIMESTAMPS), 32, 32, 3), np.uint8)
    write_video(out, frames, fps=10, timestamps=VFR_TIMESTAMPS)
    info = probe_video(out)
    assert info.is_vfr
    np.testing.assert_allclose(info.timestamps, VFR_TIMESTAMPS, atol=1e-3)
    # constant rate without times; key frame every 2 frames
    write_video(out, frames[:5], fps=8, gop=2)
    np.testing.assert_allclose(probe_video(out).timestamps, np.arange(5) / 8, atol=1e-3)
    with av.open(out) as container:
        keys = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert sum(keys) >= 3


def test_writer_errors(tmp_path):
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match='AVI'):
        write_video(str(tmp_path / 'x.avi'), [img, img], fps=5, timestamps=[0, 0.3])
    with pytest.raises(ValueError, match='increase'):
        write_video(str(tmp_path / 'x.mp4'), [img, img], fps=5, timestamps=[0.2, 0.1])
    with pytest.raises(ValueError, match='every frame or to none'):
        with VideoWriter(str(tmp_path / 'y.mp4'), 5) as writer:
            writer.write(img, 0.)
            writer.write(img)
    with pytest.raises(ValueError, match=r"'\.txt'"):
        VideoWriter(str(tmp_path / 'x.txt'), 5)
    with pytest.raises(ValueError, match='fps'):
        VideoWriter(str(tmp_path / 'x.mp4'), 0)
    assert [output_kind(p) for p in ('a.MP4', 'b.gif', 'c.png')] == ['video', 'gif', 'image']
    with pytest.raises(ValueError, match='suffix'):
        output_kind('x.txt')


def test_gif_keeps_frame_times(tmp_path):
    from PIL import Image
    assert gif_durations_ms(3, fps=10) == [100, 100, 100]
    assert gif_durations_ms(4, timestamps=[0, 0.1, 0.15, 0.2]) == [100, 50, 50, 50]
    frames = [np.full((8, 8, 3), 60 * i, np.uint8) for i in range(4)]
    for backend in ('pil', 'pyav'):
        path = write_gif(
            str(tmp_path / f'{backend}.gif'),
            frames,
            backend=backend,
            timestamps=[0, 0.3, 0.4, 0.5])
        with Image.open(path) as gif:
            durations = []
            for k in range(gif.n_frames):
                gif.seek(k)
                durations.append(gif.info['duration'])
        assert durations[:3] == [300, 100, 100], backend
    with pytest.raises(ValueError):
        write_gif(str(tmp_path / 'x.gif'), [], 5)


def _ramp(n=60):
    """60 frames whose brightness tells the index without wrapping (base 10, step 4)."""
    from mmstvg.testing import ramp_frames
    return ramp_frames(n, (32, 48), base=10, step=4)


def _indices(imgs):
    return [frame_index_of(img, base=10, step=4) for img in imgs]


def _sequential(monkeypatch):
    """Decoding without seeking, as before issue 28."""
    from mmstvg.utils.video_io import decode
    monkeypatch.setattr(decode, 'SEEK_MIN_GAP', 10**9)


@pytest.mark.parametrize('suffix,codec', [('.mp4', 'libx264'), ('.mkv', 'libx264'),
                                          ('.mov', 'libx264'), ('.avi', 'mpeg4')])
def test_seeking_gives_the_frames_of_sequential_decoding(tmp_path, monkeypatch, suffix, codec):
    """Issue 28: a clip late in the video, sparse frames, frames past the end: the frames and
    the number of available frames are those of decoding from the first frame."""
    path = write_test_video(
        str(tmp_path / f'v{suffix}'), frames=_ramp(), fps=25, codec=codec, gop=8)
    cases = ([45, 46, 59], [0, 30, 59], list(range(40, 60)), [20, 58, 59, 60, 61], [33])
    seeking = [decode_frames(path, inds) for inds in cases]
    _sequential(monkeypatch)
    for inds, (imgs, available) in zip(cases, seeking):
        expected, expected_available = decode_frames(path, inds)
        assert available == expected_available
        for a, b in zip(imgs, expected):
            np.testing.assert_array_equal(a, b)
        if codec == 'libx264':  # lossless (mpeg4's brightness is off by a few levels)
            assert _indices(imgs) == [min(i, 59) for i in inds]


def test_a_late_clip_is_decoded_by_seeking(tmp_path, monkeypatch):
    """The key frame before the clip is sought and the frames are told by their timestamps:
    no decoding from the first frame (which would count them)."""
    from mmstvg.utils.video_io import decode
    path = write_test_video(str(tmp_path / 'v.mp4'), frames=_ramp(), fps=25, gop=8)
    pts, keys = decode._frame_table(path)
    assert len(pts) == 60 and keys.tolist() == list(range(0, 60, 8))

    def no_sequential(*args, **kwargs):
        raise AssertionError('decoded from the first frame')

    monkeypatch.setattr(decode, '_decode_sequential', no_sequential)
    imgs, _ = decode_frames(path, list(range(42, 60)))
    assert _indices(imgs) == list(range(42, 60))
    assert [i for i, _ in iter_frames(path, [3, 50])] == [3, 50]


def test_seeking_in_a_variable_frame_rate_video(tmp_path, monkeypatch):
    """Frames are told by their timestamps, so a variable rate changes nothing: frame k is the
    k-th frame shown, whatever its time."""
    times = [0.1 * i for i in range(30)] + [3.0 + 0.025 * i for i in range(30)]
    for suffix in ('.mp4', '.mkv', '.mov'):
        path = write_test_video(
            str(tmp_path / f'vfr{suffix}'), frames=_ramp(), fps=10, timestamps=times, gop=8)
        assert probe_video(path).is_vfr
        for inds in ([25, 44, 59], list(range(31, 50))):
            imgs, _ = decode_frames(path, inds)
            assert _indices(imgs) == inds


def test_seeking_in_a_rotated_video(tmp_path, monkeypatch):
    path = write_test_video(
        str(tmp_path / 'rot.mp4'), frames=_ramp(), fps=25, gop=8, display_rotation=90)
    imgs, _ = decode_frames(path, [50, 59])
    assert [img.shape for img in imgs] == [(48, 32, 3)] * 2  # upright: turned a quarter
    _sequential(monkeypatch)
    expected, _ = decode_frames(path, [50, 59])
    for a, b in zip(imgs, expected):
        np.testing.assert_array_equal(a, b)


def test_an_untrustworthy_frame_table_falls_back_to_sequential_decoding(tmp_path, monkeypatch):
    """Timestamps that do not match what the decoder outputs: the file is decoded from its
    first frame (the frames already given are not given twice)."""
    from mmstvg.utils.video_io import decode
    path = write_test_video(str(tmp_path / 'v.mp4'), frames=_ramp(), fps=25, gop=8)
    pts, keys = decode._frame_table(path)
    for table in ((pts + 1, keys), (pts[::-1].copy(), keys), (pts[1:], keys[1:] - 1)):
        monkeypatch.setattr(decode, '_frame_table', lambda _, table=table: table)
        imgs, _ = decode_frames(path, [2, 30, 45, 59])
        assert _indices(imgs) == [2, 30, 45, 59]
    # a table the decoder agrees with up to frame 40, then wrong: 2 and 30 come from seeking,
    # 45 and 59 from the sequential decoding, once each
    shifted = pts.copy()
    shifted[41:] += 1
    monkeypatch.setattr(decode, '_frame_table', lambda _: (shifted, keys))
    assert [i for i, _ in iter_frames(path, [2, 30, 45, 59])] == [2, 30, 45, 59]
