"""The processors of Qwen2-VL, Qwen2.5-VL and Qwen3-VL, built without torchvision.

``AutoProcessor.from_pretrained`` cannot build these processors here: their video processors
are torchvision classes, and transformers' ``ProcessorMixin`` checks that the video processor
is a ``VideoProcessorMixin`` through a lookup that itself fails without torchvision. mmstvg
therefore assembles the processor from its parts:

- the tokenizer: ``AutoTokenizer.from_pretrained(path)`` (a checkpoint), or a config
  (``dict(type='tiny_qwen_tokenizer')``, the offline in-memory tokenizer of the tiny models,
  :func:`~mmstvg.models.mllm.tiny.tiny_qwen_tokenizer`);
- the image processor: transformers' torchvision-free ``Qwen2VLImageProcessorPil`` (unused
  for videos, required by the processor's constructor);
- the video processor: :class:`~mmstvg.models.mllm.FrameVideoProcessor`, with the
  checkpoint's ``patch_size`` / ``temporal_patch_size`` / ``merge_size`` / mean / std (read
  from its ``video_preprocessor_config.json`` or ``preprocessor_config.json`` when there is
  one, else the family's defaults);
- the processor class of the family (transformers' own: ``Qwen2VLProcessor``,
  ``Qwen2_5_VLProcessor``, ``Qwen3VLProcessor``), subclassed only to accept that video
  processor (:func:`torchvision_free`);
- the chat template: the checkpoint's (``chat_template.jinja`` / ``chat_template.json`` /
  the tokenizer's), else :data:`CHATML_TEMPLATE`, the ChatML layout of the Qwen-VL
  templates (a video item is ``<|vision_start|><|video_pad|><|vision_end|>``).
"""
import json
import os.path as osp
from typing import Optional, Union

from transformers.video_processing_utils import VideoProcessorMixin

from .video_processor import HALF, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, FrameVideoProcessor

#: family -> (processor class name, patch size, mean, std); Qwen2.5-VL shares Qwen2-VL's
#: vision preprocessing; Qwen3-VL uses 16-pixel patches and [-1, 1] normalisation.
FAMILIES = {
    'qwen2_vl': ('Qwen2VLProcessor', 14, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD),
    'qwen2_5_vl': ('Qwen2_5_VLProcessor', 14, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD),
    'qwen3_vl': ('Qwen3VLProcessor', 16, HALF, HALF),
}

#: ChatML as the Qwen-VL chat templates lay it out (system, user, assistant turns; a video
#: content item is ``<|vision_start|><|video_pad|><|vision_end|>``)
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for c in message['content'] %}"
    "{% if c['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

_SUBCLASSES = {}


def torchvision_free(processor_cls: type) -> type:
    """``processor_cls`` accepting any ``VideoProcessorMixin`` as its video processor (its
    own check needs torchvision to find that class); nothing else changes."""
    if processor_cls not in _SUBCLASSES:

        def check_argument_for_proper_class(self, argument_name, argument):
            if argument_name == 'video_processor' and isinstance(argument, VideoProcessorMixin):
                return type(argument)
            return processor_cls.check_argument_for_proper_class(self, argument_name, argument)

        _SUBCLASSES[processor_cls] = type(
            processor_cls.__name__, (processor_cls, ),
            dict(
                check_argument_for_proper_class=check_argument_for_proper_class,
                __module__=__name__,
                __doc__=f'transformers\' ``{processor_cls.__name__}`` with a torchvision-free '
                'video processor.'))
    return _SUBCLASSES[processor_cls]


def family_of(model_type: str) -> str:
    """The family (a key of :data:`FAMILIES`) of a transformers ``model_type``."""
    if model_type not in FAMILIES:
        raise ValueError(f'unsupported MLLM model_type {model_type!r}; supported: '
                         f'{sorted(FAMILIES)}')
    return model_type


def _read_json(path: str) -> dict:
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def _checkpoint_vision_cfg(pretrained: str) -> dict:
    """patch / merge sizes and normalisation from a checkpoint's preprocessor files."""
    for name in ('video_preprocessor_config.json', 'preprocessor_config.json'):
        path = osp.join(pretrained, name)
        if osp.isfile(path):
            cfg = _read_json(path)
            keys = ('patch_size', 'temporal_patch_size', 'merge_size', 'image_mean', 'image_std')
            out = {k: cfg[k] for k in keys if k in cfg}
            size = cfg.get('size') or {}
            if cfg.get('min_pixels') or size.get('shortest_edge'):
                out['min_pixels'] = cfg.get('min_pixels') or size['shortest_edge']
            if cfg.get('max_pixels') or size.get('longest_edge'):
                out['max_pixels'] = cfg.get('max_pixels') or size['longest_edge']
            return out
    return {}


def _checkpoint_chat_template(pretrained: str, tokenizer) -> Optional[str]:
    path = osp.join(pretrained, 'chat_template.jinja')
    if osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            return f.read()
    path = osp.join(pretrained, 'chat_template.json')
    if osp.isfile(path):
        return _read_json(path).get('chat_template')
    return getattr(tokenizer, 'chat_template', None)


def build_tokenizer(tokenizer: Union[str, dict, object, None], pretrained: Optional[str] = None):
    """A tokenizer from a path, a config (``type``: a name registered in
    ``mmstvg.models.mllm.tiny.TOKENIZER_BUILDERS``) or an object; None: ``pretrained``'s."""
    if tokenizer is None:
        if pretrained is None:
            raise ValueError('build_tokenizer: give `tokenizer` or `pretrained`')
        tokenizer = pretrained
    if isinstance(tokenizer, str):
        from transformers import AutoTokenizer
        return AutoTokenizer.from_pretrained(tokenizer, local_files_only=True)
    if isinstance(tokenizer, dict):
        from .tiny import TOKENIZER_BUILDERS
        cfg = dict(tokenizer)
        name = cfg.pop('type')
        if name not in TOKENIZER_BUILDERS:
            raise KeyError(f'unknown tokenizer builder {name!r}; known: '
                           f'{sorted(TOKENIZER_BUILDERS)}')
        return TOKENIZER_BUILDERS[name](**cfg)
    return tokenizer


def build_mllm_processor(family: Optional[str] = None,
                         pretrained: Optional[str] = None,
                         tokenizer: Union[str, dict, object, None] = None,
                         video_processor: Optional[dict] = None,
                         chat_template: Optional[str] = None):
    """The processor of a Qwen-VL family, without torchvision (module docstring).

    Args:
        family (str, optional): ``'qwen2_vl'``, ``'qwen2_5_vl'`` or ``'qwen3_vl'``; read
            from ``pretrained``'s ``config.json`` when None.
        pretrained (str, optional): a local checkpoint directory (never a hub name: nothing
            is downloaded).
        tokenizer (str | dict | object, optional): see :func:`build_tokenizer`.
        video_processor (dict, optional): arguments of :class:`FrameVideoProcessor`
            overriding the checkpoint's and the family's.
        chat_template (str, optional): a Jinja chat template overriding the checkpoint's.

    Returns:
        ProcessorMixin: the family's processor.
    """
    import transformers
    if family is None:
        if pretrained is None:
            raise ValueError('build_mllm_processor: give `family` or `pretrained`')
        family = _read_json(osp.join(pretrained, 'config.json'))['model_type']
    cls_name, patch, mean, std = FAMILIES[family_of(family)]
    tok = build_tokenizer(tokenizer, pretrained)
    vp_cfg = dict(patch_size=patch, image_mean=mean, image_std=std)
    if pretrained is not None:
        vp_cfg.update(_checkpoint_vision_cfg(pretrained))
        chat_template = chat_template or _checkpoint_chat_template(pretrained, tok)
    vp_cfg.update(video_processor or {})
    image_processor = transformers.Qwen2VLImageProcessorPil(
        patch_size=vp_cfg['patch_size'],
        temporal_patch_size=vp_cfg.get('temporal_patch_size', 2),
        merge_size=vp_cfg.get('merge_size', 2),
        image_mean=list(vp_cfg['image_mean']),
        image_std=list(vp_cfg['image_std']))
    processor_cls = torchvision_free(getattr(transformers, cls_name))
    return processor_cls(
        image_processor=image_processor,
        tokenizer=tok,
        video_processor=FrameVideoProcessor(**vp_cfg),
        chat_template=chat_template or CHATML_TEMPLATE)
