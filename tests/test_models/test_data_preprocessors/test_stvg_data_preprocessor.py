import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmstvg.registry import MODELS
from mmstvg.structures import STVGDataSample

MEAN, STD = [10., 20., 30.], [2., 4., 5.]


def _batch(features=False):
    """Two packed samples with different N, H, W and L (as PackSTVGInputs makes them)."""
    shapes = [(3, 8, 12, 5), (5, 10, 7, 3)]  # N, H, W, L
    samples = []
    for i, (n, h, w, length) in enumerate(shapes):
        inputs = dict(
            text=dict(
                input_ids=torch.arange(length) + 2,
                attention_mask=torch.ones(length, dtype=torch.long)))
        if features:
            inputs['features'] = torch.full((n, 4), float(i + 1))
        else:
            inputs['imgs'] = torch.full((n, 3, h, w), 50 * (i + 1), dtype=torch.uint8)
            inputs['imgs'][:, 0] = 0
        samples.append(
            dict(inputs=inputs, data_samples=STVGDataSample(metainfo=dict(img_shape=(h, w)))))
    return pseudo_collate(samples)


def test_frames_padding_and_normalisation():
    pre = MODELS.build(
        dict(
            type='STVGDataPreprocessor',
            mean=MEAN,
            std=STD,
            pad_size_divisor=4,
            pad_value=-1,
            text_pad_token_id=1))
    out = pre(_batch())
    inputs, samples = out['inputs'], out['data_samples']
    imgs = inputs['imgs']
    assert imgs.shape == (2, 5, 3, 12, 12) and imgs.dtype == torch.float32
    torch.testing.assert_close(inputs['frame_mask'],
                               torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]).bool())
    # sample 0: real region normalised, the rest padded
    assert torch.allclose(imgs[0, :3, 1, :8, :12], torch.tensor((50 - 20) / 4))
    assert torch.allclose(imgs[0, :3, 0, :8, :12], torch.tensor((0 - 10) / 2))
    assert (imgs[0, 3:] == -1).all() and (imgs[0, :3, :, 8:] == -1).all()
    # sample 1: right padding 7 -> 12 and bottom 10 -> 12
    assert torch.allclose(imgs[1, :, 2, :10, :7], torch.tensor((100 - 30) / 5))
    assert (imgs[1, :, :, :, 7:] == -1).all() and (imgs[1, :, :, 10:] == -1).all()
    text = inputs['text']
    assert text['input_ids'].shape == (2, 5) and text['input_ids'].dtype == torch.long
    assert text['input_ids'][1].tolist() == [2, 3, 4, 1, 1]
    assert text['attention_mask'].tolist() == [[1] * 5, [1, 1, 1, 0, 0]]
    assert all(s.batch_input_shape == (12, 12) for s in samples)
    assert samples[1].img_shape == (10, 7)


def test_channel_swap_and_no_normalisation():
    pre = MODELS.build(dict(type='STVGDataPreprocessor', bgr_to_rgb=True))
    imgs = pre(_batch())['inputs']['imgs']
    assert imgs.shape == (2, 5, 3, 10, 12)
    assert (imgs[0, :3, 2, :8, :12] == 0).all() and (imgs[0, :3, 0, :8, :12] == 50).all()


def test_features():
    pre = MODELS.build(dict(type='STVGDataPreprocessor', feature_pad_value=-5))
    out = pre(_batch(features=True))
    feats = out['inputs']['features']
    assert feats.shape == (2, 5, 4) and 'imgs' not in out['inputs']
    assert (feats[0, :3] == 1).all() and (feats[0, 3:] == -5).all() and (feats[1] == 2).all()
    assert out['inputs']['frame_mask'].sum(1).tolist() == [3, 5]


def test_list_of_dicts_and_errors():
    pre = MODELS.build(dict(type='STVGDataPreprocessor'))
    batch = _batch()
    listed = dict(
        inputs=[
            dict(
                imgs=batch['inputs']['imgs'][i],
                text={
                    k: v[i]
                    for k, v in batch['inputs']['text'].items()
                }) for i in range(2)
        ],
        data_samples=batch['data_samples'])
    assert pre(listed)['inputs']['imgs'].shape == (2, 5, 3, 10, 12)
    with pytest.raises(ValueError):
        MODELS.build(dict(type='STVGDataPreprocessor', mean=MEAN))
    with pytest.raises(ValueError):
        MODELS.build(dict(type='STVGDataPreprocessor', bgr_to_rgb=True, rgb_to_bgr=True))
