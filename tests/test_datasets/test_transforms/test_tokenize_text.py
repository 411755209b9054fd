import pickle

import numpy as np
import pytest

from mmstvg.datasets.transforms import TokenizeText
from mmstvg.registry import TRANSFORMS


def test_tokenize(tiny_tokenizer_dir):
    t = TRANSFORMS.build(
        dict(
            type='TokenizeText',
            max_length=6,
            tokenizer=dict(type='AutoTokenizer', pretrained=tiny_tokenizer_dir)))
    out = t(dict(qid='q', sentence='The man on the left'))
    ids, mask = out['text_input_ids'], out['text_attention_mask']
    assert ids.dtype == np.int64 and mask.dtype == np.int64
    vocab = t.tokenizer.get_vocab()
    expected = [vocab[w] for w in ('[CLS]', 'the', 'man', 'on', 'the', 'left', '[SEP]')]
    # truncated to max_length, special tokens kept
    assert ids.tolist() == expected[:5] + expected[-1:]
    assert mask.tolist() == [1] * 6
    short = t(dict(qid='q', sentence='a dog'))
    assert short['text_input_ids'].tolist() == [
        vocab['[CLS]'], vocab['a'], vocab['dog'], vocab['[SEP]']
    ]


def test_padding_pickle_and_errors(tiny_tokenizer_dir):
    t = TokenizeText(
        tokenizer=dict(pretrained=tiny_tokenizer_dir), max_length=8, padding='max_length')
    out = t(dict(qid='q', sentence='a dog'))
    assert out['text_input_ids'].shape == (8, )
    assert out['text_attention_mask'].tolist() == [1] * 4 + [0] * 4
    clone = pickle.loads(pickle.dumps(t))  # sent to dataloader workers: no tokenizer inside
    assert clone._tokenizer is None
    np.testing.assert_array_equal(
        clone(dict(qid='q', sentence='a dog'))['text_input_ids'], out['text_input_ids'])
    with pytest.raises(ValueError, match='q7'):
        t(dict(qid='q7', sentence='  '))
    with pytest.raises(ValueError, match='pretrained'):
        TokenizeText(tokenizer=dict(type='AutoTokenizer'))
    assert 'max_length=8' in repr(t)


def test_lower_case_option(tiny_tokenizer_dir):
    """``lower=True`` lower-cases the sentence before tokenising (the STCAT family's
    datasets do); the default keeps it as stored."""
    seen = []

    def fake(sentence, **kwargs):
        seen.append(sentence)
        return dict(input_ids=[1, 2], attention_mask=[1, 1])

    for lower in (True, False):
        t = TokenizeText(tokenizer=dict(pretrained=tiny_tokenizer_dir), lower=lower)
        t._tokenizer = fake
        t(dict(qid='q', sentence=' The Man '))
    assert seen == ['the man', 'The Man']
