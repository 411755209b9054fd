"""The synthetic benchmark on disk: layout, determinism, videos, GT boxes, tokenizer, CLI."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from synthetic_test_helpers import TINY

from mmstvg.datasets.synthetic import (ANN_FILES, PALETTE, QUERY_FILE, generate_synthetic_stvg,
                                       make_query, read_video)
from mmstvg.testing import import_script
from mmstvg.utils.video_io import probe_video


def _load(path):
    with open(path) as f:
        return json.load(f)


def _read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def test_layout_and_records(tiny_synth):
    counts = dict(train=TINY['num_train'], val=TINY['num_val'], test=TINY['num_test'])
    for split, n in counts.items():
        annos = _load(osp.join(tiny_synth, ANN_FILES[split]))
        assert list(annos) == [f'{split}_{i:05d}.mp4' for i in range(n)]
        for name, rec in annos.items():
            assert osp.isfile(osp.join(tiny_synth, 'videos', name))
            assert rec['img_num'] == TINY['num_frames']
            assert rec['img_size'] == [TINY['size'], TINY['size'], 3]
            assert rec['fps'] == TINY['fps']
            assert 1 <= rec['st_frame'] <= rec['ed_frame'] <= rec['img_num']
            assert len(rec['bbox']) == rec['ed_frame'] - rec['st_frame'] + 1
            assert rec['st_time'] == pytest.approx((rec['st_frame'] - 1) / rec['fps'], abs=1e-4)
            assert rec['ed_time'] == pytest.approx(rec['ed_frame'] / rec['fps'], abs=1e-4)
            for x, y, w, h in rec['bbox']:
                assert all(isinstance(v, int) for v in (x, y, w, h))
                assert x >= 0 and y >= 0 and w > 0 and h > 0
                assert x + w <= TINY['size'] and y + h <= TINY['size']
            assert isinstance(rec['English'], str) and rec['English'].endswith('.')
            target = rec['actors'][rec['target']['index']]
            assert {
                k: target[k]
                for k in ('colour', 'shape', 'size')
            } == {
                k: rec['target'][k]
                for k in ('colour', 'shape', 'size')
            }
            assert dict(
                action=rec['action'], span=[rec['st_frame'] - 1,
                                            rec['ed_frame']]) in target['actions']
    queries = _load(osp.join(tiny_synth, QUERY_FILE))
    test = _load(osp.join(tiny_synth, ANN_FILES['test']))
    assert queries == {k: v['English'] for k, v in test.items()}
    meta = _load(osp.join(tiny_synth, 'meta.json'))
    assert meta['params']['seed'] == TINY['seed'] and meta['counts'] == counts


def test_records_reproducible_from_api(tiny_synth):
    annos = _load(osp.join(tiny_synth, ANN_FILES['val']))
    for i, (name, rec) in enumerate(annos.items()):
        _, expected = make_query(TINY['seed'], 'val', i, TINY['num_frames'], TINY['size'],
                                 TINY['fps'])
        assert json.loads(json.dumps(expected)) == rec


def test_determinism(tiny_synth, tmp_path):
    same = str(tmp_path / 'same')
    other = str(tmp_path / 'other')
    # same seed, different number of workers -> byte-identical annotations and videos
    generate_synthetic_stvg(same, workers=2, log=None, **TINY)
    for rel in list(ANN_FILES.values()) + [QUERY_FILE]:
        assert _read_bytes(osp.join(tiny_synth, rel)) == _read_bytes(osp.join(same, rel))
    for name in os.listdir(osp.join(tiny_synth, 'videos')):
        assert _read_bytes(osp.join(tiny_synth, 'videos',
                                    name)) == _read_bytes(osp.join(same, 'videos', name))
    # another seed -> other annotations
    generate_synthetic_stvg(
        other, workers=1, log=None, **dict(TINY, seed=TINY['seed'] + 1, num_test=0))
    for split in ('train', 'val'):
        assert _read_bytes(osp.join(tiny_synth, ANN_FILES[split])) != _read_bytes(
            osp.join(other, ANN_FILES[split]))


def test_videos_decode(tiny_synth):
    for name in sorted(os.listdir(osp.join(tiny_synth, 'videos'))):
        path = osp.join(tiny_synth, 'videos', name)
        info = probe_video(path)
        assert (info.codec, info.pix_fmt, info.fps) == ('h264', 'yuv420p', TINY['fps'])
        frames = read_video(path)
        assert frames.shape == (TINY['num_frames'], TINY['size'], TINY['size'], 3)


def test_gt_boxes_match_target_pixels(tiny_synth):
    """The GT box is the tight box of the target's colour in the DECODED frames.

    H.264 + yuv420p blur the sprite edges: the colour's box may be up to 2 px smaller than
    the GT box, and never more than 1 px larger.
    """
    size = TINY['size']
    num_checked = 0
    for split in ('train', 'val'):
        for name, rec in _load(osp.join(tiny_synth, ANN_FILES[split])).items():
            frames = read_video(osp.join(tiny_synth, 'videos', name)).astype(np.int32)
            colour = np.asarray(PALETTE[rec['target']['colour']])
            for k, (x, y, w, h) in enumerate(rec['bbox']):
                frame = frames[rec['st_frame'] - 1 + k]
                # other actors are >= 3 px away: look 2 px around the box
                x1, y1 = max(x - 2, 0), max(y - 2, 0)
                x2, y2 = min(x + w + 2, size), min(y + h + 2, size)
                close = np.abs(frame[y1:y2, x1:x2] - colour).max(axis=-1) < 40
                ys, xs = np.nonzero(close)
                assert len(xs) >= 0.3 * w * h, (name, k)
                found = np.array(
                    [xs.min() + x1,
                     ys.min() + y1,
                     xs.max() + 1 + x1,
                     ys.max() + 1 + y1])
                inward = (found - np.array([x, y, x + w, y + h])) * np.array([1, 1, -1, -1])
                assert inward.max() <= 2 and inward.min() >= -1, (name, k, found.tolist(),
                                                                  [x, y, x + w, y + h])
                num_checked += 1
    assert num_checked > 0


def test_tokenizer_round_trip(tiny_synth):
    from transformers import AutoTokenizer

    from mmstvg.datasets.transforms import STVGFlip
    tok = AutoTokenizer.from_pretrained(osp.join(tiny_synth, 'tokenizer'), local_files_only=True)
    assert tok.pad_token_id == 0 and tok.unk_token == '<unk>' and tok.mask_token == '<mask>'
    assert tok.bos_token == '<s>' and tok.eos_token == '</s>'
    assert len(tok) <= 128  # the demo's text encoder has vocab_size=128
    vocab = tok.get_vocab()
    assert 'left' in vocab and 'right' in vocab
    flip = STVGFlip(flip_ratio=1.0)
    for rel in (ANN_FILES['train'], ANN_FILES['val']):
        for rec in _load(osp.join(tiny_synth, rel)).values():
            for sentence in (rec['English'], flip.swap_words(rec['English'])):
                enc = tok(sentence)
                ids = enc['input_ids']
                assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
                assert tok.unk_token_id not in ids
                words = sentence.lower().replace('.', ' .').split()
                assert tok.convert_ids_to_tokens(ids[1:-1]) == words
                assert tok.decode(ids, skip_special_tokens=True).split() == words
    batch = tok(['The red square jumps.', 'The big shape moves left.'], padding=True)
    assert batch['input_ids'][0][-1] == tok.pad_token_id
    assert batch['attention_mask'][0][-1] == 0


def _load_cli():
    return import_script('tools/data/synthetic/generate.py')


def test_cli_is_idempotent(tmp_path):
    cli = _load_cli()
    out = str(tmp_path / 'cli')
    argv = [
        '--out-dir', out, '--num-train', '2', '--num-val', '1', '--num-frames', '16', '--size',
        '64', '--fps', '8', '--seed', '1', '--workers', '1'
    ]
    first = cli.main(argv)
    assert not first['skipped'] and first['params']['num_frames'] == 16
    meta_mtime = os.stat(osp.join(out, 'meta.json')).st_mtime_ns
    second = cli.main(argv)
    assert second['skipped'] and second['params'] == first['params']
    assert os.stat(osp.join(out, 'meta.json')).st_mtime_ns == meta_mtime
    # a missing video makes the generation incomplete -> regenerated
    os.remove(osp.join(out, 'videos', 'train_00001.mp4'))
    assert not cli.main(argv)['skipped']
    assert osp.isfile(osp.join(out, 'videos', 'train_00001.mp4'))
    # other parameters -> regenerated; scene options reach sample_scene
    third = cli.main(argv[:-2] + ['--workers', '1', '--scene-cfg', 'num_actors=(3,3)'])
    assert not third['skipped'] and third['params']['scene_cfg'] == {'num_actors': [3, 3]}
    annos = _load(osp.join(out, ANN_FILES['train']))
    assert all(len(r['actors']) == 3 for r in annos.values())
    # a smaller generation in the same directory removes the videos it does not overwrite
    assert not cli.main([
        '--out-dir', out, '--num-train', '1', '--num-val', '1', '--num-frames', '16', '--size',
        '64', '--workers', '1'
    ])['skipped']
    assert sorted(os.listdir(osp.join(out, 'videos'))) == ['train_00000.mp4', 'val_00000.mp4']


def test_cli_refuses_an_out_dir_with_an_unreadable_annotation_file(tmp_path):
    from mmstvg.utils.path_guard import OverwriteInputError
    cli = _load_cli()
    ann = tmp_path / ANN_FILES['train']
    ann.parent.mkdir(parents=True)
    ann.write_text('[' * 100000 + ']' * 100000)  # a RecursionError before
    with pytest.raises(OverwriteInputError, match="e.g. '<unreadable>'"):
        cli.check_out_dir(str(tmp_path))
    ann.write_text(json.dumps({'train_00000.mp4': {}}))
    cli.check_out_dir(str(tmp_path))
