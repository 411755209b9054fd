import pytest

from mmstvg.models.mllm import build_mllm_processor
from mmstvg.registry import ANSWER_PARSERS, PROMPT_TEMPLATES

META = dict(
    sentence=' the man in red sits down. ',
    clip=(0, 40),
    fps=8.0,
    num_frames=40,
    frame_inds=[2, 6, 10, 14, 18, 22, 26, 30, 34, 38],
    img_shape=(56, 84),
    ori_shape=(120, 180))


@pytest.mark.parametrize('name', ['json_tube', 'stvg_r1', 'llava_st'])
def test_templates_render_through_the_chat_template(name):
    template = PROMPT_TEMPLATES.build(dict(type=name, system='You ground videos.'))
    parser = ANSWER_PARSERS.build(dict(type=name))
    messages = template.messages(META, parser)
    assert messages[0] == dict(role='system', content='You ground videos.')
    user = messages[1]['content']
    assert [c['type']
            for c in user] == (['text', 'video'] if name == 'stvg_r1' else ['video', 'text'])
    proc = build_mllm_processor('qwen2_5_vl', tokenizer=dict(type='tiny_qwen_tokenizer'))
    prompt = proc.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert 'the man in red sits down.' in prompt
    assert prompt.count('<|vision_start|><|video_pad|><|vision_end|>') == 1
    assert prompt.endswith('<|im_start|>assistant\n')


def test_json_template_describes_the_coordinate_frame():
    template = PROMPT_TEMPLATES.build(dict(type='json_tube'))
    px = template.messages(META, ANSWER_PARSERS.build(dict(type='json_tube')))
    pm = template.messages(META,
                           ANSWER_PARSERS.build(dict(type='json_tube', coord_frame='permille')))
    assert 'pixel coordinates of the 84x56 frames' in px[0]['content'][1]['text']
    assert 'normalised to 0-1000' in pm[0]['content'][1]['text']
    assert 'lasts 5.00 seconds' in px[0]['content'][1]['text']


def test_format_target_adds_prefix_and_suffix():
    template = PROMPT_TEMPLATES.build(
        dict(type='stvg_r1', target_prefix='<think>the one sitting</think>'))
    parser = ANSWER_PARSERS.build(dict(type='stvg_r1'))
    meta = dict(META, frame_times=[(f - 0) / 8 for f in META['frame_inds']])
    target = template.format_target(parser, (8, 24), [10, 14, 18, 22], [[1, 2, 3, 4]] * 4, meta)
    assert target == ('<think>the one sitting</think><answer>Target ID: 0, Time range: 1.00 to '
                      '3.00</answer>')
