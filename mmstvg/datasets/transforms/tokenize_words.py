"""Word-level tokenisation for GloVe sentence encoders (GKCMN §2.1/§3: at most 20 words).

Sentences are lower-cased and split into words and punctuation marks
(``[a-z0-9']+|[^\\sa-z0-9']``); ids index the vocabulary of ``vocab_file`` (see
``mmstvg.models.text_encoders.glove.read_vocab``: id 0 = ``<pad>``, 1 = ``<unk>``, then the
file's words in order), the same order ``GloVeTextEncoder`` builds its embedding table in.
The output keys are those of ``TokenizeText``, so the rest of the pipeline is unchanged.
"""
import re
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS

WORD_RE = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


@TRANSFORMS.register_module()
class TokenizeWords(BaseTransform):
    """Map a sentence to word ids.

    Required Keys: ``sentence`` (str), ``qid`` (optional, error messages).

    Added Keys: ``text_input_ids`` (L,) int64, ``text_attention_mask`` (L,) int64.

    Args:
        vocab_file (str): vocabulary file (one word per line) or a GloVe txt file.
        max_length (int): at most this many words. Defaults to 20.
        lower (bool): lower-case first. Defaults to True.
        text_key (str): key of the sentence. Defaults to ``'sentence'``.
    """

    def __init__(self,
                 vocab_file: str,
                 max_length: int = 20,
                 lower: bool = True,
                 text_key: str = 'sentence') -> None:
        self.vocab_file = vocab_file
        self.max_length = int(max_length)
        self.lower = lower
        self.text_key = text_key
        self._ids: Optional[dict] = None

    @property
    def ids(self) -> dict:
        if self._ids is None:
            from mmstvg.models.text_encoders.glove import read_vocab
            self._ids = {w: i for i, w in enumerate(read_vocab(self.vocab_file))}
        return self._ids

    def words(self, sentence: str) -> list:
        return WORD_RE.findall(sentence.lower() if self.lower else sentence)

    def transform(self, results: dict) -> dict:
        sentence = results.get(self.text_key)
        words = self.words(sentence) if isinstance(sentence, str) else []
        if not words:
            raise ValueError(f'TokenizeWords: query {results.get("qid")!r} has an empty '
                             f'`{self.text_key}` ({sentence!r}).')
        ids = [self.ids.get(w, 1) for w in words[:self.max_length]]
        results['text_input_ids'] = np.asarray(ids, dtype=np.int64)
        results['text_attention_mask'] = np.ones(len(ids), dtype=np.int64)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(vocab_file={self.vocab_file!r}, '
                f'max_length={self.max_length}, lower={self.lower})')
