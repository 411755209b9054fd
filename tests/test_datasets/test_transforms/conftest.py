"""Fixtures of the transform tests: a rendered test video and a tiny local tokenizer."""
import numpy as np
import pytest
from stvg_transform_helpers import FPS, HEIGHT, NUM_FRAMES, WIDTH, WORDS, render_frame

from mmstvg.testing import write_test_video


@pytest.fixture(scope='session')
def square_video(tmp_path_factory) -> str:
    """Path of an mp4 (mpeg4) rendering ``render_frame(0 .. NUM_FRAMES - 1)``."""
    frames = np.stack([render_frame(i) for i in range(NUM_FRAMES)])
    path = str(tmp_path_factory.mktemp('video') / 'square.mp4')
    write_test_video(path, size=(HEIGHT, WIDTH), fps=FPS, frames=frames, codec='mpeg4')
    return path


@pytest.fixture(scope='session')
def tiny_tokenizer_dir(tmp_path_factory) -> str:
    """A WordLevel tokenizer saved with ``save_pretrained`` (no hub)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast
    vocab = {'[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(WordLevel(vocab, unk_token='[UNK]'))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single='[CLS] $A [SEP]', special_tokens=[('[CLS]', 2), ('[SEP]', 3)])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token='[PAD]',
        unk_token='[UNK]',
        cls_token='[CLS]',
        sep_token='[SEP]')
    path = str(tmp_path_factory.mktemp('tokenizer'))
    fast.save_pretrained(path)
    return path
