"""Build the GloVe vocabulary of a dataset: the GloVe lines of the words its sentences use.

GKCMN's sentence encoder (``GloVeTextEncoder``) and its tokenizer (``TokenizeWords``) read
``data/pretrained/glove_vocab.txt``. This tool writes it: the sentences of the configs'
datasets (train, val and test by default, read through mmstvg's dataset classes, so HC-STVG,
VidSTG and the synthetic format all work) are split into words exactly as the config's
``TokenizeWords`` splits them (lower-cased, ``[a-z0-9']+`` or one punctuation mark), the big
GloVe text file (``glove.840B.300d.txt``: 2.2M words, 5.6 GB) is read line by line, never
whole, and the lines of the words that occur are copied unchanged into the output, in the
GloVe file's order (its frequency order).

The output is a GloVe-format file (``word v_1 ... v_dim`` per line), which is both the
vocabulary (``TokenizeWords(vocab_file=...)``, ``GloVeTextEncoder(vocab_file=...)``: ``read_vocab``
takes the first column) and the word vectors (``GloVeTextEncoder(glove_file=...)``), so the
model loads a few MB instead of a 2.6 GB table of 2.2M words. ``<pad>`` (id 0) and ``<unk>``
(id 1) are not written: ``read_vocab`` always puts them first (both zero vectors in the
encoder). Words GloVe lacks are left out: they map to ``<unk>``. A word listed twice in the
GloVe file keeps its last vector (as ``GloVeTextEncoder`` reading the whole file would).

The coverage (distinct words found / missing, and the share of word occurrences covered) is
printed, with the most frequent missing words; ``--report`` writes it as JSON with every
missing word. A missing, zipped or malformed GloVe file, vectors of another size than the
config's encoder embeds, or no word found at all stop the tool with a message.

    python tools/data/build_glove_vocab.py configs/gkcmn/gkcmn_i3d_vidstg.py \
        --glove data/pretrained/glove.840B.300d.txt
    # one vocabulary for several datasets (the configs share data/pretrained/glove_vocab.txt)
    python tools/data/build_glove_vocab.py configs/gkcmn/gkcmn_i3d_vidstg.py \
        configs/gkcmn/gkcmn_i3d_hcstvg-v2.py --glove data/pretrained/glove.840B.300d.txt

Building the vocabulary from the test sentences too is not a leak: the vectors are GloVe's,
fixed (``freeze_embedding=True``), and no label is read.
"""
import argparse
import copy
import inspect
import json
import os
import os.path as osp
import sys
import time
from collections import Counter
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.config import DictAction

SPECIAL_TOKENS = ('<pad>', '<unk>')  # ids 0 and 1, added by read_vocab


class GloVeFileError(ValueError):
    """The GloVe file is missing, not a GloVe text file, or malformed (the message says
    where)."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write the GloVe lines of the words of a dataset\'s sentences')
    parser.add_argument(
        'configs',
        nargs='+',
        help='config(s) whose datasets give the sentences (one vocabulary for all of them)')
    parser.add_argument(
        '--glove',
        default='data/pretrained/glove.840B.300d.txt',
        help='the GloVe text file, unzipped (default: %(default)s)')
    parser.add_argument(
        '--out',
        help='output file [the `vocab_file` of the configs\' TokenizeWords, e.g. '
        'data/pretrained/glove_vocab.txt]')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val', 'test'],
        help='dataloaders whose sentences are read (default: %(default)s)')
    parser.add_argument(
        '--dim',
        type=int,
        help='vector size [the configs\' GloVeTextEncoder `embed_dims`, else the file\'s]')
    parser.add_argument(
        '--report', help='also write the coverage and every missing word to this JSON file')
    from mmstvg.utils.data_root import add_root_arguments
    add_root_arguments(parser)  # applied to every config
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings of every config')
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- sentences
def find_tokenizers(cfg, splits) -> List[dict]:
    """The ``TokenizeWords`` configs of the split pipelines of ``cfg``."""
    from mmstvg.utils import dataset_cfg_of
    found = []
    for split in splits:
        ds = dataset_cfg_of(cfg, split)
        for t in (ds or {}).get('pipeline', []) or []:
            if str(t.get('type', '')).split('.')[-1] == 'TokenizeWords':
                found.append(dict(t))
    return found


def build_word_splitter(tokenizers: List[dict], config: str):
    """The ``TokenizeWords`` that splits the sentences of ``config`` (its pipelines' one;
    the default one when the config has none) and the sentence key it reads."""
    from mmstvg.datasets.transforms import TokenizeWords
    settings = {(t.get('lower', True), t.get('text_key', 'sentence')) for t in tokenizers}
    if len(settings) > 1:
        raise ValueError(f'{config}: the TokenizeWords of its pipelines differ in `lower` / '
                         f'`text_key` ({sorted(settings)}); one vocabulary cannot serve both')
    lower, text_key = settings.pop() if settings else (True, 'sentence')
    if not tokenizers:
        print(f'{config}: no TokenizeWords in its pipelines; splitting the sentences as '
              'TokenizeWords does by default (lower-cased)')
    return TokenizeWords(vocab_file='', lower=lower, text_key=text_key), text_key


def build_split_dataset(ds_cfg):
    """The dataset of ``ds_cfg`` with its sentences only: no pipeline, invalid queries
    skipped, VidSTG without its VidOR box files."""
    from mmstvg.registry import DATASETS
    ds_cfg = copy.deepcopy(ds_cfg)
    ds_cfg.update(skip_invalid=True, pipeline=[], lazy_init=False)
    ds_type = ds_cfg['type']
    cls = DATASETS.get(ds_type) if isinstance(ds_type, str) else ds_type
    if cls is not None and 'load_boxes' in inspect.signature(cls.__init__).parameters:
        ds_cfg['load_boxes'] = False  # the sentences do not need the boxes
    return DATASETS.build(ds_cfg)


def count_words(configs: List[str],
                splits: List[str],
                cfg_options: Optional[dict] = None,
                data_root: Optional[str] = None,
                pretrained_root: Optional[str] = None):
    """Word counts of the sentences of every split dataset of every config (each moved by
    ``--data-root`` / ``--pretrained-root`` when given).

    Returns:
        tuple: ``counts`` (Counter), ``sources`` (list of ``(config, split, ann_file,
        num_sentences)``), ``cfgs`` (the loaded configs).
    """
    from mmstvg.utils import dataset_cfg_of, load_config
    counts, sources, cfgs, seen = Counter(), [], [], set()
    for config in configs:
        cfg = load_config(config, cfg_options, data_root, pretrained_root)
        cfgs.append(cfg)
        splitter, text_key = build_word_splitter(find_tokenizers(cfg, splits), config)
        for split in splits:
            ds_cfg = dataset_cfg_of(cfg, split)
            if ds_cfg is None:
                print(f'{config}: no {split}_dataloader, skipped')
                continue
            key = (str(ds_cfg.get('type')), ds_cfg.get('data_root', ''), ds_cfg.get('ann_file'),
                   splitter.lower, text_key)
            if key in seen:  # e.g. test_dataloader = val_dataloader
                continue
            seen.add(key)
            try:
                dataset = build_split_dataset(ds_cfg)
            except Exception as e:  # noqa: BLE001 (re-raised with the split named)
                raise SystemExit(
                    f'build_glove_vocab: {config}: cannot read the sentences of its {split} '
                    f'split ({type(e).__name__}: {e}); fix the annotation path or choose the '
                    'splits with --splits') from e
            num = 0
            for i in range(len(dataset)):
                sentence = dataset.get_data_info(i).get(text_key)
                if isinstance(sentence, str):
                    counts.update(w for w in splitter.words(sentence) if w not in SPECIAL_TOKENS)
                    num += 1
            sources.append((config, split, dataset.ann_file, num))
            print(f'{config} [{split}] {dataset.ann_file}: {num} sentences')
    return counts, sources, cfgs


# ----------------------------------------------------------------------------- GloVe
def check_glove_file(path: str) -> None:
    """Raise :class:`GloVeFileError` (saying where GloVe comes from) when ``path`` is not a
    file."""
    if not osp.isfile(path):
        raise GloVeFileError(
            f'GloVe file not found: {path}. Download glove.840B.300d.zip from '
            'https://nlp.stanford.edu/projects/glove/ and unzip it (docs/dataset_prepare.md).')


def _glove_error(path: str, lineno: int, message: str) -> GloVeFileError:
    return GloVeFileError(f'{path}:{lineno}: {message}; is this a GloVe text file '
                          '(`word v_1 ... v_dim` per line, e.g. glove.840B.300d.txt)?')


def select_glove(path: str,
                 words,
                 dim: Optional[int] = None) -> Tuple[Dict[str, bytes], int, dict]:
    """Stream the GloVe text file ``path`` and keep the lines of ``words``.

    Lines are read one at a time (the 5.6 GB glove.840B file is never held); every line is
    checked to have a word and at least ``dim`` fields (more: a word with spaces, as
    glove.840B has, never a token), and the vectors of the kept words are parsed.

    Args:
        path (str): the GloVe file.
        words (Iterable[str]): the words to keep.
        dim (int, optional): the vector size it must have (else the first line's).

    Returns:
        tuple: ``{word: its line (bytes, without the newline)}`` in file order (a repeated
        word keeps its last line), the vector size and stats (``lines``, ``duplicates``).

    Raises:
        GloVeFileError: missing file, zip archive, header / vector size other than ``dim``,
            a short line, a vector that is not numbers.
    """
    check_glove_file(path)
    wanted = {w.encode('utf-8') for w in words}
    kept: Dict[bytes, bytes] = {}
    duplicates, lineno, file_dim = 0, 0, None
    with open(path, 'rb') as f:
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith((b'PK\x03\x04', b'\x1f\x8b')):
                raise GloVeFileError(f'{path} is a zip / gzip archive: unzip it and pass the '
                                     '.txt file inside (glove.840B.300d.txt)')
            line = raw.rstrip(b'\r\n').rstrip(b' ')
            if not line:
                continue
            fields = line.count(b' ') + 1
            if lineno == 1 and fields == 2 and all(p.isdigit() for p in line.split(b' ')):
                file_dim = int(line.split(b' ')[1])  # word2vec-style `<count> <dim>` header
                if dim is not None and file_dim != dim:
                    raise GloVeFileError(f'{path} holds {file_dim}-d vectors (header) but '
                                         f'{dim}-d ones are needed')
                continue
            if file_dim is None:
                file_dim = fields - 1
                if file_dim < 1:
                    raise _glove_error(path, lineno, 'a word without a vector')
                if dim is not None and file_dim != dim:
                    raise GloVeFileError(
                        f'{path} holds {file_dim}-d vectors (line {lineno} has {fields} '
                        f'fields) but the config embeds {dim}-d words (GloVeTextEncoder '
                        '`embed_dims`; --dim): use the 300-d file (glove.840B.300d.txt)')
            if fields < file_dim + 1:
                raise _glove_error(path, lineno,
                                   f'expected a word and {file_dim} numbers, got {fields} fields')
            if fields > file_dim + 1:
                continue  # a word with spaces (glove.840B has some): never a token
            word, _, vector = line.partition(b' ')
            if word not in wanted:
                continue
            try:
                np.asarray(vector.decode('ascii').split(' '), dtype=np.float32)
            except (UnicodeDecodeError, ValueError) as e:
                raise _glove_error(path, lineno,
                                   f'the vector of {word.decode("utf-8")!r} is not numbers ({e})')
            if word in kept:
                duplicates += 1
                del kept[word]  # the last line wins, at its place in the file
            kept[word] = line
    if file_dim is None:
        raise GloVeFileError(f'{path} is empty: not a GloVe text file')
    selected = {w.decode('utf-8'): line for w, line in kept.items()}
    return selected, file_dim, dict(lines=lineno, duplicates=duplicates)


def configured_dim(cfgs) -> Optional[int]:
    """``embed_dims`` of the configs' ``GloVeTextEncoder`` (None: no such encoder)."""
    dims = set()
    for cfg in cfgs:
        enc = (cfg.get('model') or {}).get('text_encoder') or {}
        if str(enc.get('type', '')).split('.')[-1] == 'GloVeTextEncoder':
            dims.add(int(enc.get('embed_dims', 300)))
    if len(dims) > 1:
        raise ValueError(f'the configs\' GloVeTextEncoders embed {sorted(dims)}-d words: '
                         'build one vocabulary per size')
    return dims.pop() if dims else None


def default_out(cfgs, configs, splits) -> str:
    """The ``vocab_file`` of the configs' ``TokenizeWords`` (all must agree)."""
    paths = {t.get('vocab_file') for cfg in cfgs for t in find_tokenizers(cfg, splits)}
    paths.discard(None)
    if len(paths) == 1:
        return paths.pop()
    if not paths:
        raise SystemExit(f'build_glove_vocab: no TokenizeWords `vocab_file` in '
                         f'{", ".join(configs)}: pass --out')
    raise SystemExit(f'build_glove_vocab: the configs read different vocabularies '
                     f'({", ".join(sorted(paths))}): pass --out')


def write_atomic(path: str, lines) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        for line in lines:
            f.write(line + b'\n')
    os.replace(tmp, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmstvg.utils import register_all_modules
    from mmstvg.utils.path_guard import check_outputs_not_inputs
    register_all_modules()
    try:
        check_glove_file(args.glove)  # before reading any dataset
    except GloVeFileError as e:
        raise SystemExit(f'build_glove_vocab: {e}') from None
    counts, sources, cfgs = count_words(args.configs, args.splits, args.cfg_options,
                                        args.data_root, args.pretrained_root)
    out = args.out or default_out(cfgs, args.configs, args.splits)
    check_outputs_not_inputs({
        '--out': out,
        '--report': args.report
    }, {
        '--glove': args.glove,
        'configs': args.configs,
        'annotations': [s[2] for s in sources]
    })
    if not counts:
        raise SystemExit('build_glove_vocab: the datasets hold no word (no sentence read)')
    dim = args.dim or configured_dim(cfgs)
    size = osp.getsize(args.glove)
    print(f'{len(counts)} distinct words in {sum(s[3] for s in sources)} sentences; reading '
          f'{args.glove} ({size / 1e9:.2f} GB) line by line ...')
    start = time.time()
    try:
        selected, dim, stats = select_glove(args.glove, counts, dim)
    except GloVeFileError as e:
        raise SystemExit(f'build_glove_vocab: {e}') from None
    missing = sorted((w for w in counts if w not in selected), key=lambda w: (-counts[w], w))
    total = sum(counts.values())
    covered = sum(counts[w] for w in selected)
    print(f'read {stats["lines"]} lines ({dim}-d vectors) in {time.time() - start:.0f} s')
    if not selected:
        raise SystemExit(f'build_glove_vocab: none of the {len(counts)} words is in '
                         f'{args.glove}: not the GloVe file the tokenizer expects?')
    write_atomic(out, selected.values())
    print(f'coverage: {len(selected)} of {len(counts)} distinct words found '
          f'({100 * len(selected) / len(counts):.1f} %), {len(missing)} missing (-> <unk>); '
          f'{100 * covered / total:.2f} % of the {total} word occurrences covered')
    if missing:
        frequent = ', '.join(f'{w!r} ({counts[w]})' for w in missing[:20])
        print(f'most frequent missing words: {frequent}')
    if stats['duplicates']:
        print(f'{stats["duplicates"]} words are listed more than once in {args.glove}: the last '
              'vector of each is kept')
    print(f'wrote {len(selected)} words x {dim}-d to {out} (the vocabulary and word vectors: '
          '`vocab_file` and `glove_file`; ids 0 <pad> and 1 <unk> are added by read_vocab)')
    if args.report:
        report = dict(
            glove=args.glove,
            out=out,
            dim=dim,
            sources=[dict(config=c, split=s, ann_file=a, sentences=n) for c, s, a, n in sources],
            words=len(counts),
            found=len(selected),
            missing=len(missing),
            occurrences=total,
            occurrences_covered=covered,
            glove_duplicates=stats['duplicates'],
            missing_words={w: counts[w]
                           for w in missing})
        os.makedirs(osp.dirname(osp.abspath(args.report)), exist_ok=True)
        with open(args.report, 'w') as f:
            json.dump(report, f, indent=2)
        print(f'report written to {args.report}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
