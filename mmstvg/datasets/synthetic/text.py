"""Query sentences of the synthetic STVG benchmark and its word-level tokenizer.

A query names ONE actor by a minimal unique appearance description (the smallest subset of
``size`` / ``colour`` / ``shape`` that no other actor of the scene matches; ties are broken at
random) followed by the action: ``"The red square jumps."``, ``"The small blue shape moves
left."``, ``"The circle moves up."``. A description without the shape attribute uses the noun
``shape``.

The tokenizer is a ``tokenizers`` WordLevel model over a FIXED vocabulary (every palette
colour, shape, size and action word, both ``left`` and ``right``, so that a horizontal flip
never produces an unknown word), with NFKC + lower-case normalisation, a whitespace /
punctuation pre-tokenizer and RoBERTa-style ``<s> ... </s>`` wrapping, saved with
``PreTrainedTokenizerFast.save_pretrained`` so that ``AutoTokenizer.from_pretrained(dir)``
loads it offline. Special tokens: ``<pad>`` = 0, ``<s>`` = 1, ``</s>`` = 2, ``<unk>`` = 3,
``<mask>`` = 4 (configs rely on ``pad_token_id=0``).
"""
from typing import List, Sequence, Tuple

import numpy as np

from .scene import ACTIONS, ATTRIBUTES, PALETTE, SHAPES, SIZES, Appearance, unique_descriptions

SPECIAL_TOKENS: Tuple[str, ...] = ('<pad>', '<s>', '</s>', '<unk>', '<mask>')
#: Words outside the attribute/action lists that sentences (or their flips) may contain.
EXTRA_WORDS: Tuple[str, ...] = ('the', 'shape', '.', 'left', 'right')
#: Noun used when the description does not include the shape.
GENERIC_NOUN = 'shape'


def describe(target: Appearance,
             others: Sequence[Appearance],
             rng: np.random.Generator,
             attribute_order: Sequence[str] = ATTRIBUTES) -> Tuple[str, Tuple[str, ...]]:
    """Minimal unique noun phrase for ``target``.

    Args:
        target (Appearance): the described actor.
        others (Sequence[Appearance]): every other actor of the scene.
        rng (np.random.Generator): breaks ties between minimal subsets.
        attribute_order (Sequence[str]): word order of the attributes.

    Returns:
        tuple[str, tuple[str, ...]]: the phrase (``"the small red circle"``) and the
        attributes it uses.
    """
    subsets = unique_descriptions(target, others, attribute_order)
    subset = subsets[int(rng.integers(len(subsets)))]
    words = ['the']
    words += [target.get(a) for a in attribute_order if a in subset and a != 'shape']
    words.append(target.shape if 'shape' in subset else GENERIC_NOUN)
    return ' '.join(words), tuple(subset)


def make_sentence(noun_phrase: str, action: str) -> str:
    """``"The red square jumps."`` from ``"the red square"`` and ``"jumps"``."""
    text = f'{noun_phrase} {action}.'
    return text[:1].upper() + text[1:]


def build_vocabulary(colours: Sequence[str] = tuple(PALETTE),
                     shapes: Sequence[str] = SHAPES,
                     sizes: Sequence[str] = tuple(SIZES),
                     actions: Sequence[str] = ACTIONS) -> List[str]:
    """Special tokens followed by the (sorted, de-duplicated) words of the benchmark.

    The default covers every value the generator knows, so the vocabulary (and the token ids)
    does not depend on the generation parameters.
    """
    words = set(EXTRA_WORDS) | set(colours) | set(shapes) | set(sizes)
    for action in actions:
        words.update(action.split())
    return list(SPECIAL_TOKENS) + sorted(words)


def build_tokenizer(vocabulary: Sequence[str] = None, model_max_length: int = 32):
    """A ``transformers.PreTrainedTokenizerFast`` over ``vocabulary`` (see module docstring).

    Args:
        vocabulary (Sequence[str], optional): tokens, the 5 special tokens first (in
            :data:`SPECIAL_TOKENS` order). Defaults to :func:`build_vocabulary`.
        model_max_length (int): stored maximum length. Defaults to 32.

    Returns:
        transformers.PreTrainedTokenizerFast: the tokenizer.
    """
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocabulary = list(build_vocabulary() if vocabulary is None else vocabulary)
    if tuple(vocabulary[:len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
        raise ValueError(f'the vocabulary must start with {SPECIAL_TOKENS}')
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError('duplicate tokens in the vocabulary')
    vocab = {tok: i for i, tok in enumerate(vocabulary)}
    tok = Tokenizer(WordLevel(vocab=vocab, unk_token='<unk>'))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()  # \w+ | [^\w\s]+
    tok.post_processor = processors.TemplateProcessing(
        single='<s> $A </s>',
        pair='<s> $A </s> </s> $B </s>',
        special_tokens=[('<s>', vocab['<s>']), ('</s>', vocab['</s>'])])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token='<pad>',
        bos_token='<s>',
        eos_token='</s>',
        unk_token='<unk>',
        mask_token='<mask>',
        cls_token='<s>',
        sep_token='</s>',
        model_max_length=model_max_length,
        padding_side='right')


def save_tokenizer(out_dir: str,
                   vocabulary: Sequence[str] = None,
                   model_max_length: int = 32) -> str:
    """Build the tokenizer and ``save_pretrained`` it to ``out_dir``; returns ``out_dir``."""
    tokenizer = build_tokenizer(vocabulary, model_max_length)
    tokenizer.save_pretrained(out_dir)
    return out_dir
