"""TokenizeWords and the GloVe file reader (GKCMN §2.1)."""
import numpy as np
import pytest

from mmstvg.datasets.transforms import TokenizeWords
from mmstvg.models.text_encoders.glove import load_glove, read_vocab


def _glove(tmp_path):
    path = tmp_path / 'glove.tiny.3d.txt'
    path.write_text('the 0.1 0.2 0.3\nman -1 0 1\nred 2 2 2\n, 0 0 0.5\n')
    return str(path)


def test_load_glove_and_vocab(tmp_path):
    path = _glove(tmp_path)
    words, vecs = load_glove(path)
    assert words == ['the', 'man', 'red', ',']
    np.testing.assert_allclose(vecs[1], [-1, 0, 1])
    words, vecs = load_glove(path, vocab=['red'])
    assert words == ['red'] and vecs.shape == (1, 3)
    assert read_vocab(path) == ['<pad>', '<unk>', 'the', 'man', 'red', ',']
    bad = tmp_path / 'bad.txt'
    bad.write_text('a 1 2 3\nb 1 x 3\n')
    with pytest.raises(ValueError, match='bad.txt:2'):
        load_glove(str(bad))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        load_glove(str(tmp_path / 'missing.txt'))


def test_tokenize_words(tmp_path):
    t = TokenizeWords(vocab_file=_glove(tmp_path), max_length=4)
    out = t.transform(dict(sentence='The red man, the dog.', qid='q1'))
    # the=2 red=4 man=3 ,=5 (truncated to 4 words; 'dog' would be <unk> = 1)
    assert out['text_input_ids'].tolist() == [2, 4, 3, 5]
    assert out['text_attention_mask'].tolist() == [1, 1, 1, 1]
    t = TokenizeWords(vocab_file=_glove(tmp_path), max_length=20)
    assert t.transform(dict(sentence='red dog'))['text_input_ids'].tolist() == [4, 1]
    with pytest.raises(ValueError, match='q9'):
        t.transform(dict(sentence='   ', qid='q9'))
