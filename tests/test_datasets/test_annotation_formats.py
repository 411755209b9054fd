"""Annotation formats as registered objects (``ANNOTATION_FORMATS``): each is an annotation
class (the torch-free part of its dataset class) that recognises its files and builds itself
for one; a format added in one file (here: in this test file, a dataset class) is guessed and
used by name by ``build_annotation_dataset`` and ``eval_submission.py``."""
import os.path as osp

import mmengine
import numpy as np
import pytest

from mmstvg.datasets import (HCSTVGAnnotation, HCSTVGDataset, SynthSTVGAnnotation,
                             SynthSTVGDataset, VidSTGAnnotation, VidSTGDataset)
from mmstvg.datasets.annotation_file import (annotation_format_names, build_annotation_dataset,
                                             guess_annotation_format)
from mmstvg.datasets.base_stvg_dataset import MALFORMED, BaseSTVGDataset, InvalidRecord, require
from mmstvg.registry import ANNOTATION_FORMATS
from mmstvg.testing import import_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# HC-STVG v2 layout plus the record's `fps`, as the synthetic generator writes it:
# st_frame 2, ed_frame 4 -> span [1, 4); 32 frames at 16 fps
SYNTH = {
    'v.mp4':
    dict(
        English='The red ball rolls.',
        bbox=[[0, 0, 10, 10]] * 3,
        st_frame=2,
        ed_frame=4,
        img_num=32,
        img_size=[64, 64, 3],
        fps=16)
}


class MySTVGDataset(BaseSTVGDataset):
    """A format of one file (``docs/advanced_guides/add_dataset.md``): a JSON list of
    ``{"id", "video", "sentence", "fps", "num_frames", "width", "height", "start", "end",
    "boxes"}`` (inclusive end, one xywh box per frame)."""

    METAINFO = dict(dataset_name='my_stvg')

    @classmethod
    def match_annotation_file(cls, text, content):
        if content is not None:
            return 2 * int(
                isinstance(content, list) and bool(content) and isinstance(content[0], dict)
                and 'boxes' in content[0])
        return 2 * int(text.startswith('[') and '"boxes"' in text)

    def iter_records(self):
        for i, record in enumerate(self.load_annotation_json()):
            yield f'#{i}', record

    def parse_record(self, record_name, raw):
        start, end = int(require(raw, 'start', int)), int(require(raw, 'end', int)) + 1
        boxes = np.asarray(require(raw, 'boxes', list), dtype=np.float32).reshape(-1, 4)
        if len(boxes) != end - start:
            raise InvalidRecord(
                MALFORMED,
                f'{len(boxes)} boxes for a span of {end - start}',
                qids=[str(raw.get('id'))])
        boxes[:, 2:] += boxes[:, :2]  # xywh -> xyxy
        return [
            dict(
                qid=str(raw['id']),
                video_name=raw['video'],
                filename=osp.join(self.data_prefix.get('video', ''), raw['video']),
                sentence=raw['sentence'],
                fps=float(raw['fps']),
                num_frames=int(raw['num_frames']),
                width=raw['width'],
                height=raw['height'],
                clip=(0, int(raw['num_frames'])),
                gt_span=(start, end),
                gt_bboxes=boxes)
        ]


# q1: 1-based inclusive start 5, end 14 -> span [5, 15); xywh [10, 10, 40, 40] -> [10, 10, 50, 50]
MY_RECORDS = [
    dict(
        id='q1',
        video='v1.mp4',
        sentence='a dog runs.',
        fps=10,
        num_frames=30,
        width=100,
        height=100,
        start=5,
        end=14,
        boxes=[[10, 10, 40, 40]] * 10)
]


@pytest.fixture
def my_format():
    """``MySTVGDataset`` registered as the format ``'my_stvg'`` for one test."""
    ANNOTATION_FORMATS.register_module(name='my_stvg', module=MySTVGDataset)
    yield 'my_stvg'
    ANNOTATION_FORMATS.module_dict.pop('my_stvg')


def test_the_built_in_formats_are_registered():
    assert {'hcstvg', 'synthetic', 'vidstg'} <= set(annotation_format_names())
    assert ANNOTATION_FORMATS.get('hcstvg') is HCSTVGAnnotation
    assert ANNOTATION_FORMATS.get('synthetic') is SynthSTVGAnnotation
    assert ANNOTATION_FORMATS.get('vidstg') is VidSTGAnnotation
    # each dataset class is its annotation class plus mmengine's BaseDataset
    for annotation, dataset in ((HCSTVGAnnotation, HCSTVGDataset),
                                (SynthSTVGAnnotation, SynthSTVGDataset), (VidSTGAnnotation,
                                                                          VidSTGDataset)):
        assert issubclass(dataset, annotation)


def test_a_synthetic_file_is_told_from_hcstvg(tmp_path):
    """Its records carry `fps` (HC-STVG's never do): the synthetic dataset reads it."""
    ann = str(tmp_path / 'val_v2.json')
    mmengine.dump(SYNTH, ann)
    assert guess_annotation_format(ann) == 'synthetic'
    assert guess_annotation_format(ann, content=SYNTH) == 'synthetic'
    without_fps = {'v.mp4': {k: v for k, v in SYNTH['v.mp4'].items() if k != 'fps'}}
    assert guess_annotation_format(ann, content=without_fps) == 'hcstvg'
    dataset = build_annotation_dataset(ann)
    assert type(dataset) is SynthSTVGAnnotation and dataset.test_mode
    info = dataset.get_data_info(0)
    assert info['fps'] == 16 and info['gt_span'] == (1, 4)


def test_a_format_registered_in_a_test_file_is_guessed_and_built(my_format, tmp_path):
    ann = str(tmp_path / 'my.json')
    mmengine.dump(MY_RECORDS, ann)
    assert guess_annotation_format(ann) == my_format  # above VidSTG's "a JSON list"
    assert guess_annotation_format(ann, content=MY_RECORDS) == my_format
    assert guess_annotation_format(ann, content=[dict(vid='v1')]) == 'vidstg'
    for fmt in ('auto', my_format):
        dataset = build_annotation_dataset(ann, fmt)
        assert type(dataset) is MySTVGDataset and len(dataset) == 1
        info = dataset.get_data_info(0)
        assert info['gt_span'] == (5, 15)
        np.testing.assert_array_equal(info['gt_bboxes'][0], [10, 10, 50, 50])


def test_eval_submission_reads_a_registered_format(my_format, tmp_path, capsys):
    # pred 1-based 11..15 = [10, 15) with the exact box, GT [5, 15): dense tIoU = vIoU = 1/2
    ann, pred = str(tmp_path / 'my.json'), str(tmp_path / 'pred.json')
    mmengine.dump(MY_RECORDS, ann)
    mmengine.dump(
        {
            'q1':
            dict(st_frame=11, ed_frame=15, bbox={str(f): [10, 10, 50, 50]
                                                 for f in range(11, 16)})
        }, pred)
    tool = import_script(osp.join(ROOT, 'tools', 'analysis_tools', 'eval_submission.py'))
    for extra in ([], ['--dataset', my_format]):
        out = tool.main(['--ann', ann, '--pred', pred, '--protocol', 'dense'] + extra)
        assert out['m_tIoU'] == pytest.approx(0.5) and out['m_vIoU'] == pytest.approx(0.5)
    capsys.readouterr()


def test_unrecognised_and_ambiguous_files(my_format, tmp_path, monkeypatch):
    ann = str(tmp_path / 'x.json')
    mmengine.dump('a string', ann)
    with pytest.raises(ValueError, match=r'no annotation format \(.*hcstvg.*\) recognises it'):
        guess_annotation_format(ann)
    with pytest.raises(ValueError, match='its content is a str'):
        guess_annotation_format(ann, content='a string')
    monkeypatch.setattr(MySTVGDataset, 'match_annotation_file', classmethod(lambda *a: 1))
    with pytest.raises(
            ValueError,
            match=r"formats \['my_stvg', 'vidstg'\] recognise it "
            'equally; name its format'):
        guess_annotation_format(ann, content=[])
