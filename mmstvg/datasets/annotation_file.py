# Copyright (c) mmstvg contributors.
"""The dataset that parses one annotation file on its own, outside a config.

For the tools that read ground truth from an annotation file given on the command line
(``tools/analysis_tools/eval_submission.py``, ``tools/analysis_tools/visualize_tube.py``):
the file is parsed by the same dataset class, with the same validation, as in training and
testing, so the GT is exactly what ``STVGMetric`` sees. No pipeline, test mode; nothing is
read but the annotation file (and, for VidSTG, the VidOR box files).

The formats are the registry ``ANNOTATION_FORMATS``: each name (``hcstvg``, ``vidstg``,
``synthetic``) is an annotation class (``HCSTVGAnnotation`` ..., the torch-free part of the
dataset class, so that these tools do not import torch, issue 28), registered in its own file,
that knows how to recognise a file of its format (``match_annotation_file``) and how to build
itself for one (``from_annotation_file``); adding a format is that one file
(``docs/advanced_guides/add_dataset.md``; a dataset class registered as a format works too).
"""
from typing import Any, List, Optional

from mmengine.fileio import get_text

from mmstvg.registry import ANNOTATION_FORMATS
from mmstvg.utils.json_io import JSONFileError
from .stvg_annotation import STVGAnnotation

__all__ = [
    'ANNOTATION_FORMATS', 'annotation_format_names', 'guess_annotation_format',
    'build_annotation_dataset'
]


def annotation_format_names() -> List[str]:
    """The registered annotation formats, sorted."""
    ANNOTATION_FORMATS.import_from_location()
    return sorted(ANNOTATION_FORMATS.module_dict)


def guess_annotation_format(ann_file: str, content: Any = None) -> str:
    """The format whose ``match_annotation_file`` scores ``ann_file`` highest: ``'hcstvg'``
    for a JSON object (HC-STVG v1/v2, keyed by video), ``'synthetic'`` for one whose records
    carry ``fps``, ``'vidstg'`` for a JSON list (VidSTG).

    Args:
        ann_file (str): the annotation file (named in errors).
        content (Any, optional): its parsed content, when the caller has already read it.
            Without it the formats look at the text, without parsing the file (the dataset
            parses it once, with full validation; a VidSTG annotation file is large).

    Raises:
        JSONFileError: the file is empty, or no format recognises it.
        ValueError: two formats recognise it equally.
    """
    text = None
    if content is None:
        try:
            text = get_text(ann_file).lstrip('\ufeff \t\r\n')
        except UnicodeDecodeError as err:
            raise JSONFileError(f'{ann_file}: not a UTF-8 text file ({err})', ann_file) from None
        if not text:
            raise JSONFileError(f'{ann_file}: the file is empty', ann_file)
    scores = {
        name: ANNOTATION_FORMATS.get(name).match_annotation_file(text, content)
        for name in annotation_format_names()
    }
    best = max(scores.values(), default=0)
    if best <= 0:
        what = f'the text starts with {text[:1]!r}' if content is None else \
            f'its content is a {type(content).__name__}'
        raise JSONFileError(
            f'{ann_file}: neither a JSON object (HC-STVG) nor a JSON list (VidSTG): {what}; '
            f'no annotation format ({", ".join(scores)}) recognises it', ann_file)
    winners = [name for name, score in scores.items() if score == best]
    if len(winners) > 1:
        raise ValueError(f'{ann_file}: the annotation formats {winners} recognise it equally; '
                         'name its format')
    return winners[0]


def build_annotation_dataset(ann_file: str,
                             fmt: str = 'auto',
                             vidor_dir: Optional[str] = None,
                             skip_invalid: bool = False,
                             content: Any = None) -> STVGAnnotation:
    """Parse ``ann_file`` with the annotation class of its format (torch-free; or the dataset
    class registered as the format).

    Args:
        ann_file (str): the annotation file.
        fmt (str): a registered format (:func:`annotation_format_names`: ``'hcstvg'``,
            ``'synthetic'``, ``'vidstg'`` ...) or ``'auto'`` (:func:`guess_annotation_format`).
        vidor_dir (str, optional): VidSTG only (required there): the folder of the VidOR box
            files.
        skip_invalid (bool): skip and count invalid queries (``dataset.skipped``) instead of
            stopping at the first one.
        content (Any, optional): the parsed content of ``ann_file``, when the caller has
            already read it: only used to guess the format.

    Returns:
        STVGAnnotation: in test mode, without pipeline (``get_data_info`` gives the
        ``data_info`` of each query, see ``docs/data_flow.md``).
    """
    if fmt == 'auto':
        fmt = guess_annotation_format(ann_file, content)
    if fmt not in annotation_format_names():
        raise ValueError(f'{ann_file}: unknown annotation format {fmt!r}; expected one of '
                         f'{annotation_format_names()} or "auto"')
    return ANNOTATION_FORMATS.get(fmt).from_annotation_file(
        ann_file, skip_invalid=skip_invalid, vidor_dir=vidor_dir)
