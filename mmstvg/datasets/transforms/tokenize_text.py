"""Tokenise the query sentence with a ``transformers`` tokenizer built from a config dict.

Tokenising in the pipeline (not in the model) keeps the text encoder a pure tensor module and
lets dataloader workers do the work. Place it after ``STVGFlip`` (which edits the sentence).
The tokenizer is loaded lazily, once per process, from a LOCAL directory
(``save_pretrained`` output, ``local_files_only=True``: nothing is fetched from a hub), and
is not pickled with the transform, so the transform is cheap to send to dataloader workers.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class TokenizeText(BaseTransform):
    """Tokenise ``sentence`` into ``text_input_ids`` and ``text_attention_mask``.

    Required Keys:

    - sentence (str): the query (``text_key``).
    - qid (optional): used in error messages.

    Added Keys:

    - text_input_ids (np.ndarray): (L,) int64, with the tokenizer's special tokens.
    - text_attention_mask (np.ndarray): (L,) int64, 1 for real tokens, 0 for padding.

    Args:
        tokenizer (dict): ``type``: a ``transformers`` tokenizer class name
            (``'AutoTokenizer'``, ``'RobertaTokenizerFast'`` ...), ``pretrained``: local
            directory; other keys go to ``from_pretrained``.
        max_length (int): longer sentences are truncated to this many tokens.
            Defaults to 64.
        padding (bool or str): ``False`` (the data preprocessor pads each batch) or
            ``'max_length'`` (always ``max_length`` tokens). Defaults to False.
        text_key (str): key of the sentence. Defaults to ``'sentence'``.
        strip (bool): remove the sentence's leading and trailing whitespace first. Defaults
            to True. False tokenises the sentence as stored (TubeDETR: a byte-level BPE
            tokenizer such as RoBERTa's turns surrounding spaces into tokens).
        lower (bool): lower-case the sentence first (the STCAT family's datasets do).
            Defaults to False.
    """

    def __init__(self,
                 tokenizer: dict,
                 max_length: int = 64,
                 padding=False,
                 text_key: str = 'sentence',
                 strip: bool = True,
                 lower: bool = False) -> None:
        tokenizer = dict(tokenizer)
        if 'pretrained' not in tokenizer:
            raise ValueError('TokenizeText: `tokenizer` needs `pretrained` (a local '
                             'directory written by `save_pretrained`).')
        tokenizer.setdefault('type', 'AutoTokenizer')
        if padding not in (False, 'max_length'):
            raise ValueError(f'padding must be False or "max_length", got {padding!r}')
        self.tokenizer_cfg = tokenizer
        self.max_length = int(max_length)
        self.padding = padding
        self.text_key = text_key
        self.lower = lower
        self.strip = strip
        self._tokenizer = None

    @property
    def tokenizer(self):
        """The ``transformers`` tokenizer (built on first use)."""
        if self._tokenizer is None:
            import transformers
            cfg = dict(self.tokenizer_cfg)
            cls_name = cfg.pop('type')
            cls = getattr(transformers, cls_name, None)
            if cls is None or not hasattr(cls, 'from_pretrained'):
                raise ValueError(f'TokenizeText: unknown tokenizer type {cls_name!r}.')
            cfg.setdefault('local_files_only', True)
            self._tokenizer = cls.from_pretrained(cfg.pop('pretrained'), **cfg)
        return self._tokenizer

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_tokenizer'] = None  # rebuilt lazily in each worker
        return state

    def transform(self, results: dict) -> dict:
        """Add ``text_input_ids`` and ``text_attention_mask``.

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        sentence: Optional[str] = results.get(self.text_key)
        if not isinstance(sentence, str) or not sentence.strip():
            raise ValueError(f'TokenizeText: query {results.get("qid")!r} has an empty '
                             f'`{self.text_key}` ({sentence!r}).')
        sentence = sentence.strip() if self.strip else sentence
        enc = self.tokenizer(
            sentence.lower() if self.lower else sentence,
            max_length=self.max_length,
            truncation=True,
            padding=self.padding,
            return_attention_mask=True)
        results['text_input_ids'] = np.asarray(enc['input_ids'], dtype=np.int64)
        results['text_attention_mask'] = np.asarray(enc['attention_mask'], dtype=np.int64)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(tokenizer={self.tokenizer_cfg}, '
                f'max_length={self.max_length}, padding={self.padding!r}, '
                f'text_key={self.text_key!r}, strip={self.strip})')
