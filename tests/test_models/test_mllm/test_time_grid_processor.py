"""The time axis a Qwen-VL model sees is the sampled frames' real time axis.

SampleMLLMFrames -> STVGVideoMetadata -> transformers' own processor (with mmstvg's
torchvision-free video processor) -> the model's own position code: Qwen2.5-VL's temporal
rotary positions and Qwen3-VL's ``<t seconds>`` timestamps are compared with the presentation
times of the sampled frames.
"""
import re

import numpy as np
import pytest
import torch

from mmstvg.datasets.transforms import SampleMLLMFrames
from mmstvg.models.mllm import (FrameVideoProcessor, STVGVideoMetadata, build_mllm,
                                build_mllm_processor)
from mmstvg.testing import VFR_TIMESTAMPS
from mmstvg.testing.tiny_mllm import TINY_MLLM_FACTORS, tiny_mllm_config

MESSAGES = [dict(role='user', content=[dict(type='video'), dict(type='text', text='where?')])]


def _inputs(family, sampled, fps=8.0):
    proc = build_mllm_processor(family, tokenizer=dict(type='tiny_qwen_tokenizer'))
    f = TINY_MLLM_FACTORS[family]
    n = len(sampled['frame_inds'])
    frames = np.random.RandomState(0).randint(0, 255, (n, f, 2 * f, 3)).astype(np.uint8)
    meta = STVGVideoMetadata.from_sample(sampled['frame_times'], sampled['sample_rate'], fps, f,
                                         2 * f)
    text = proc.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    return proc, proc(text=[text], videos=[frames], video_metadata=[meta], return_tensors='pt')


def _video_temporal_positions(model, proc, inputs):
    pos, _ = model.model.get_rope_index(
        inputs['input_ids'],
        inputs['mm_token_type_ids'],
        video_grid_thw=inputs['video_grid_thw'],
        second_per_grid_ts=inputs.get('second_per_grid_ts'),
        attention_mask=inputs['attention_mask'])
    is_video = inputs['input_ids'][0] == proc.video_token_id
    t = pos[0, 0, is_video]
    return torch.unique_consecutive(t).double()


@pytest.mark.parametrize('clip,max_frames', [((0, 80), None), ((40, 80), 7)])
def test_qwen2_5_vl_rotary_time_is_real_time(clip, max_frames):
    sampled = SampleMLLMFrames(
        fps=2, max_frames=max_frames).transform(dict(qid='q', num_frames=80, fps=8.0, clip=clip))
    proc, inputs = _inputs('qwen2_5_vl', sampled)
    model = build_mllm(config=tiny_mllm_config('qwen2_5_vl'), tokenizer=proc.tokenizer)
    tps = model.config.vision_config.tokens_per_second
    assert inputs['second_per_grid_ts'].tolist() == pytest.approx([2 / sampled['sample_rate']])
    seconds = (_video_temporal_positions(model, proc, inputs) -
               _video_temporal_positions(model, proc, inputs)[0]) / tps
    real = sampled['frame_times'][::2] - sampled['frame_times'][0]  # first frame of each pair
    assert seconds.shape[0] == real.shape[0]
    # the positions are integers (1 / tps s) and the grid step can fall between frames
    np.testing.assert_allclose(seconds.numpy(), real, atol=1 / tps + 1 / 8.0)
    if clip == (0, 80):  # 2 fps out of 8 fps: the grid is exactly on frames
        np.testing.assert_allclose(seconds.numpy(), real)


def test_without_metadata_the_video_is_refused():
    """transformers would assume 24 fps; the video processor refuses instead."""
    vp = FrameVideoProcessor()
    with pytest.raises(ValueError, match='24 fps'):
        vp(np.zeros((2, 28, 28, 3), np.uint8))


@pytest.mark.parametrize('vfr', [False, True])
def test_qwen3_vl_timestamps_are_presentation_times(vfr):
    if vfr:
        results = dict(
            qid='q',
            num_frames=12,
            fps=16.0,
            clip=(0, 12),
            frame_timestamps=np.asarray(VFR_TIMESTAMPS))
        sampled = SampleMLLMFrames(fps=8).transform(results)
    else:
        sampled = SampleMLLMFrames(fps=2).transform(
            dict(qid='q', num_frames=80, fps=8.0, clip=(40, 80)))
    fps = 16.0 if vfr else 8.0
    proc, inputs = _inputs('qwen3_vl', sampled, fps=fps)
    text = proc.tokenizer.decode(inputs['input_ids'][0])
    shown = [float(t) for t in re.findall(r'<([0-9.]+) seconds>', text)]
    times = np.asarray(sampled['frame_times'])
    if times.shape[0] % 2:
        times = np.append(times, times[-1])
    expected = (times[0::2] + times[1::2]) / 2  # Qwen3-VL: the mean time of each pair
    assert shown == [float(f'{t:.1f}') for t in expected]


def test_patch_order_matches_transformers_image_processor():
    """Two identical frames patchify exactly as transformers' (torchvision-free) image
    processor patchifies the single image (it repeats it over the temporal patch)."""
    from transformers import Qwen2VLImageProcessorPil
    img = np.random.RandomState(1).randint(0, 255, (56, 84, 3)).astype(np.uint8)
    ours = FrameVideoProcessor()(
        [np.stack([img, img])],
        video_metadata=[STVGVideoMetadata.from_sample([0.0, 0.5], 2.0, 8.0, 56, 84)])
    theirs = Qwen2VLImageProcessorPil()(img, do_resize=False, return_tensors='np')
    assert ours['video_grid_thw'].tolist() == theirs['image_grid_thw'].tolist()
    np.testing.assert_allclose(ours['pixel_values_videos'], theirs['pixel_values'], atol=1e-5)
