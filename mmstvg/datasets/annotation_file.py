# Copyright (c) mmstvg contributors.
"""The dataset that parses one annotation file on its own, outside a config.

For the tools that read ground truth from an annotation file given on the command line
(``tools/analysis_tools/eval_submission.py``, ``tools/analysis_tools/visualize_tube.py``):
the file is parsed by the same dataset class, with the same validation, as in training and
testing, so the GT is exactly what ``STVGMetric`` sees. No pipeline, test mode; nothing is
read but the annotation file (and, for VidSTG, the VidOR box files).
"""
from typing import Any, Optional

from mmengine.fileio import get_text

from mmstvg.utils.json_io import JSONFileError
from .base_stvg_dataset import BaseSTVGDataset
from .hcstvg_dataset import HCSTVGDataset
from .vidstg_dataset import VidSTGDataset

#: annotation format -> the dataset class that parses it
ANNOTATION_FORMATS = dict(hcstvg=HCSTVGDataset, vidstg=VidSTGDataset)


def guess_annotation_format(ann_file: str, content: Any = None) -> str:
    """``'hcstvg'`` for a JSON object (HC-STVG v1/v2, keyed by video), ``'vidstg'`` for a
    JSON list (VidSTG).

    Args:
        ann_file (str): the annotation file (named in errors).
        content (Any, optional): its parsed content, when the caller has already read it.
            Without it the format is told from the first character of the text, without
            parsing the file (the dataset parses it once, with full validation; a VidSTG
            annotation file is large).

    Raises:
        JSONFileError: the text starts with neither ``{`` nor ``[``.
    """
    if content is not None:
        return 'hcstvg' if isinstance(content, dict) else 'vidstg'
    try:
        head = get_text(ann_file).lstrip('\ufeff \t\r\n')[:1]
    except UnicodeDecodeError as err:
        raise JSONFileError(f'{ann_file}: not a UTF-8 text file ({err})', ann_file) from None
    if head not in ('{', '['):
        raise JSONFileError(
            f'{ann_file}: neither a JSON object (HC-STVG) nor a JSON list (VidSTG): the '
            f'text starts with {head!r}' if head else f'{ann_file}: the file is empty', ann_file)
    return 'hcstvg' if head == '{' else 'vidstg'


def build_annotation_dataset(ann_file: str,
                             fmt: str = 'auto',
                             vidor_dir: Optional[str] = None,
                             skip_invalid: bool = False,
                             content: Any = None) -> BaseSTVGDataset:
    """Parse ``ann_file`` with the dataset class of its format.

    Args:
        ann_file (str): the annotation file.
        fmt (str): ``'hcstvg'``, ``'vidstg'`` or ``'auto'`` (:func:`guess_annotation_format`).
        vidor_dir (str, optional): VidSTG only (required there): the folder of the VidOR box
            files.
        skip_invalid (bool): skip and count invalid queries (``dataset.skipped``) instead of
            stopping at the first one.
        content (Any, optional): the parsed content of ``ann_file``, when the caller has
            already read it: only used to guess the format.

    Returns:
        BaseSTVGDataset: in test mode, without pipeline (``get_data_info`` gives the
        ``data_info`` of each query, see ``docs/data_flow.md``).
    """
    if fmt == 'auto':
        fmt = guess_annotation_format(ann_file, content)
    if fmt not in ANNOTATION_FORMATS:
        raise ValueError(f'{ann_file}: unknown annotation format {fmt!r}; expected one of '
                         f'{sorted(ANNOTATION_FORMATS)} or "auto"')
    data_prefix = dict(video='')
    if fmt == 'vidstg':
        if not vidor_dir:
            raise ValueError(f'{ann_file}: VidSTG annotations need the VidOR box files '
                             '(--vidor-dir)')
        data_prefix['vidor_anno'] = vidor_dir
    return ANNOTATION_FORMATS[fmt](
        ann_file=ann_file,
        data_prefix=data_prefix,
        pipeline=[],
        test_mode=True,
        skip_invalid=skip_invalid)
