"""LoadTASTVGLabels: TA-STVG's subject prefix and word labels from its annotation file."""
import json

import pytest

from mmstvg.datasets.transforms import LoadTASTVGLabels


def test_prefix_and_labels(tmp_path):
    ann = tmp_path / 'train.json'
    ann.write_text(
        json.dumps({'v1': {
            'sub': 'man',
            'adj_index_list': [2],
            'verb_index_list': [0, 5]
        }}))
    t = LoadTASTVGLabels(str(ann))
    out = t(dict(video_name='v1.mp4', sentence='walks to the door'))
    assert out['sentence'] == 'man walks to the door'
    assert out['ta_attr_labels'] == [2] and out['ta_action_labels'] == [0, 5]
    with pytest.raises(KeyError, match='not in'):
        t(dict(video_name='v2.mp4', sentence='x'))
