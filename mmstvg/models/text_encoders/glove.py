"""Read GloVe word vectors (GKCMN §2.1: 300-d GloVe embeddings of the words).

The standard ``glove.*.txt`` format: one word per line followed by its ``dim`` floats,
space-separated (a word2vec-style ``<count> <dim>`` header line is accepted too). Some
released files (glove.840B) contain words with spaces: the vector is always the last ``dim``
fields of a line.
"""
import os.path as osp
from typing import Iterable, List, Optional, Tuple

import numpy as np

PAD, UNK = '<pad>', '<unk>'


def load_glove(path: str,
               vocab: Optional[Iterable[str]] = None,
               dim: Optional[int] = None) -> Tuple[List[str], np.ndarray]:
    """Load GloVe vectors.

    Args:
        path (str): ``glove.*.txt`` file.
        vocab (Iterable[str], optional): keep only these words.
        dim (int, optional): vector size; inferred from the first line when None.

    Returns:
        tuple: ``words`` (list[str], file order) and ``vectors`` (V, dim) float32.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'GloVe file not found: {path}')
    keep = None if vocab is None else set(vocab)
    words, vectors = [], []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.rstrip('\n').rstrip(' ').split(' ')
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = dim or int(parts[1])
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) < dim + 1:
                raise ValueError(f'{path}:{lineno}: expected a word and {dim} numbers, got '
                                 f'{len(parts)} fields')
            word = ' '.join(parts[:len(parts) - dim])
            if keep is not None and word not in keep:
                continue
            try:
                vec = np.asarray(parts[len(parts) - dim:], dtype=np.float32)
            except ValueError as e:
                raise ValueError(f'{path}:{lineno}: malformed vector for {word!r}: {e}') from e
            words.append(word)
            vectors.append(vec)
    if not vectors:
        return words, np.zeros((0, dim or 0), dtype=np.float32)
    return words, np.stack(vectors)


def read_vocab(path: str) -> List[str]:
    """Vocabulary of a word-level model: ``[<pad>, <unk>] + words``, from a vocabulary file
    (one word per line) or a GloVe file (its first column; detected by the number of fields
    on the first line)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'vocabulary file not found: {path}')
    words = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip():
                continue
            parts = line.split(' ')
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header
            words.append(parts[0] if len(parts) > 2 else line.strip())
    return [PAD, UNK] + [w for w in words if w not in (PAD, UNK)]
