"""``STVGInferencer``: mmdetection's ``DetInferencer`` / mmaction2's ``MMAction2Inferencer`` for
spatio-temporal video grounding, on :func:`~mmstvg.apis.init_grounder` and
:func:`~mmstvg.apis.inference_grounder`.

    from mmstvg.apis import STVGInferencer
    inferencer = STVGInferencer('baseline_r18-c16-s8_1xb8-t32-8e_synth',   # a metafile name
                                weights='work_dirs/synthetic_demo/baseline/epoch_8.pth')
    result = inferencer(dict(video='a.mp4', sentence='The big red square moves left.'),
                        out_dir='outputs')
    result['predictions'][0]['span'], result['visualization'][0]   # frames, drawn video

The model is a name of the metafiles (``mim search mmstvg`` lists them; the config comes with
it, and its published checkpoint when its entry has ``Weights:``), a config file or
:class:`~mmengine.config.Config`, or None with a checkpoint that holds its config
(``meta['cfg']``, as mmengine saves it). ``weights`` is a file or an http(s) / file URL: a URL
is downloaded once into torch.hub's checkpoint folder and checked against the SHA-256 prefix
in its name (``<name>-<sha256[:8]>.pth``, as ``publish_model.py`` names it). Checkpoints load
with the safe loader and must cover the model (:func:`init_grounder`).

Inputs are (video, sentence) pairs: a dict ``dict(video=..., sentence=...)``, a tuple
``(video, sentence)``, or a list of them; or video path(s) with ``texts=`` (one sentence for
all, or one per video), as ``DetInferencer`` takes ``texts``. They go through
:func:`inference_grounder` ``batch_size`` queries at a time.
"""
import copy
import hashlib
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import mmengine
import torch
import yaml
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.structures import BaseDataElement
from rich.progress import track

from mmstvg.registry import INFERENCERS
from mmstvg.structures import STVGDataSample
from mmstvg.utils import load_config
from .inference import STVGPrediction, inference_grounder, init_grounder

QueryType = Union[dict, Tuple[str, str], str]
InputsType = Union[QueryType, Sequence[QueryType]]
#: the SHA-256 prefix of a published checkpoint's name (torch.hub's ``HASH_REGEX``)
HASH_IN_NAME = re.compile(r'-([a-f0-9]{8,})\.')


def repo_or_mim_dir() -> str:
    """The folder holding ``model-index.yml`` and ``configs/``: the checkout of a source or
    editable install, else the package's ``.mim`` (a wheel), as mmengine's
    ``BaseInferencer._get_repo_or_mim_dir`` finds them.

    Raises:
        FileNotFoundError: neither has a model index.
    """
    import mmstvg
    package = osp.dirname(osp.abspath(mmstvg.__file__))
    for folder in (osp.dirname(package), osp.join(package, '.mim')):
        if osp.isfile(osp.join(folder, 'model-index.yml')) and osp.isdir(
                osp.join(folder, 'configs')):
            return folder
    raise FileNotFoundError(f'no model-index.yml and configs/ beside {package} or in its .mim '
                            'folder: install mmstvg from its sources or a wheel')


def metafile_models(folder: Optional[str] = None) -> List[dict]:
    """Every model entry of the metafiles that ``model-index.yml`` imports."""
    folder = folder or repo_or_mim_dir()
    with open(osp.join(folder, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = []
    for meta_file in index['Import']:
        with open(osp.join(folder, meta_file)) as f:
            models += yaml.safe_load(f).get('Models', [])
    return models


def download_checkpoint(url: str, cache_dir: Optional[str] = None) -> str:
    """The local file of a checkpoint URL (http, https or file), downloaded once into
    ``cache_dir`` (default: torch.hub's ``checkpoints`` folder) and checked against the
    SHA-256 prefix in its name when it has one.

    Raises:
        RuntimeError: the file's SHA-256 does not start with the prefix in its name.
    """
    name = osp.basename(urlparse(url).path)
    cache_dir = cache_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(cache_dir, exist_ok=True)
    path = osp.join(cache_dir, name)
    match = HASH_IN_NAME.search(name)
    prefix = match.group(1) if match else None
    if not osp.isfile(path):
        torch.hub.download_url_to_file(url, path, hash_prefix=prefix, progress=False)
    if prefix is not None:
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        if not digest.hexdigest().startswith(prefix):
            raise RuntimeError(f'{path} (from {url}) has SHA-256 {digest.hexdigest()}, which '
                               f'does not start with {prefix} as its name says: delete it and '
                               'download again')
    return path


def prediction_sample(pred: STVGPrediction) -> STVGDataSample:
    """A data sample holding ``pred`` in the video's frames and pixels (what
    :class:`~mmstvg.visualization.STVGVisualizer` draws)."""
    sample = STVGDataSample(
        metainfo=dict(
            sentence=pred.sentence,
            fps=pred.fps,
            num_frames=pred.num_frames,
            clip=(0, pred.num_frames)))
    sample.pred_tube = BaseDataElement(
        span=list(pred.span), frame_ids=pred.frame_ids, bboxes=pred.bboxes)
    return sample


@INFERENCERS.register_module(name='spatio-temporal-video-grounding')
@INFERENCERS.register_module()
class STVGInferencer(BaseInferencer):
    """Ground sentences in videos and draw the tubes (see the module docstring).

    Args:
        model (str | Config | dict, optional): a metafile model name, a config file, a config
            object, or None to take the config from the checkpoint's ``meta['cfg']``.
        weights (str, optional): checkpoint file or URL; None: the metafile's ``Weights`` for
            a model name (a model without parameters needs none).
        device (str, optional): 'cpu', 'cuda', 'cuda:1' ... None: cuda if available.
        cfg_options (dict, optional): overrides merged into the config before the model is
            built (e.g. where the data and the tokenizer are).
        show_progress (bool): a progress bar over the batches. Defaults to False.

    Raises:
        ValueError: an unknown model name; a model with parameters and no weights (no
            published checkpoint); weights that are the original checkpoint of a ported model
            (its entry's ``Converted From``), which its converter must turn into mmstvg's.
    """

    preprocess_kwargs: set = {'texts'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {'out_dir', 'draw_gif', 'max_frames'}
    postprocess_kwargs: set = {'print_result', 'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Config, dict, None] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 show_progress: bool = False) -> None:
        self._entry: Optional[dict] = None
        self._cfg_options = cfg_options
        self._visualizer_count = 0
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope='mmstvg',
            show_progress=show_progress)

    # ---------------------------------------------------------------------- model and config
    @staticmethod
    def list_models(pattern: str = r'.*') -> List[str]:
        """The metafile model names matching ``pattern`` (a regular expression)."""
        return [m['Name'] for m in metafile_models() if re.match(pattern, m['Name'])]

    def _load_model_from_metafile(self, model: str) -> Tuple[Config, Optional[str]]:
        folder = repo_or_mim_dir()
        entries = metafile_models(folder)
        entry = next((m for m in entries if m['Name'].lower() == model.lower()), None)
        if entry is None:
            raise ValueError(f'{model!r} is neither a config file nor a model of the metafiles '
                             '(STVGInferencer.list_models() or `mim search mmstvg '
                             '--valid-config` lists them)')
        self._entry = entry
        weights = entry.get('Weights')
        source = entry.get('Converted From') or {}
        if weights and weights == source.get('Weights'):
            weights = None  # the authors' file: mmstvg cannot load it before conversion
        return load_config(osp.join(folder, entry['Config'])), weights

    def _init_model(self, cfg: Union[Config, ConfigDict], weights: Optional[str],
                    device: str) -> torch.nn.Module:
        entry = self._entry or {}
        source = entry.get('Converted From') or {}
        if weights is not None and weights == source.get('Weights'):
            raise ValueError(self._convert_first(entry))
        local = None
        if weights is not None:
            parsed = urlparse(weights)
            local = download_checkpoint(weights) if parsed.scheme in ('http', 'https',
                                                                      'file') else weights
        if not cfg:
            if local is None:
                raise ValueError('give a model (config or metafile name) or weights whose '
                                 'meta holds the config')
            from mmstvg.utils.checkpoint_safety import safe_torch_load
            meta = safe_torch_load(local, map_location='cpu').get('meta') or {}
            if 'cfg' not in meta:
                raise ValueError(f'{weights} holds no config (meta["cfg"]): give the model')
            cfg = Config.fromstring(meta['cfg'], file_format='.py')
        cfg = copy.deepcopy(cfg) if isinstance(cfg, Config) else Config(cfg.to_dict())
        if self._cfg_options:
            cfg.merge_from_dict(self._cfg_options)
        model = init_grounder(cfg, local, device=device)
        if local is None and any(True for _ in model.parameters()):
            if source.get('Weights'):
                raise ValueError(self._convert_first(entry))
            name = entry.get('Name', 'this model')
            raise ValueError(
                f'{name} has parameters but no weights were given, and no checkpoint of it is '
                'published (its metafile entry has no Weights): pass weights=CHECKPOINT '
                '(a checkpoint you trained; docs/model_zoo/publishing.md)')
        return model

    @staticmethod
    def _convert_first(entry: dict) -> str:
        source = entry['Converted From']
        return (f'{entry["Name"]}\'s weights are its authors\' checkpoint '
                f'({source["Weights"]}), which mmstvg loads only after conversion: download '
                f'it, run `python {source.get("Converter", "its converter")} SRC DST` and pass '
                'weights=DST')

    def _init_pipeline(self, cfg) -> callable:
        return self.model.test_pipeline  # built by init_grounder from the config

    def _init_collate(self, cfg) -> callable:
        return pseudo_collate

    def _init_visualizer(self, cfg):
        from mmstvg.visualization import STVGVisualizer
        vis_cfg = dict(cfg.get('visualizer') or {})
        kwargs = {
            k: v
            for k, v in vis_cfg.items() if k not in ('type', 'name', 'vis_backends', 'save_dir')
        }
        return STVGVisualizer(name=f'stvg_inferencer_{id(self)}', **kwargs)

    # ---------------------------------------------------------------------- inference
    def _queries(self, inputs: InputsType, texts: Union[str, Sequence[str],
                                                        None]) -> List[Tuple[str, str]]:
        """(video, sentence) pairs from any accepted form of the inputs.

        Raises:
            TypeError / ValueError: inputs that are not pairs, or videos without sentences.
        """
        if isinstance(inputs, (dict, str)) or (isinstance(inputs, tuple) and len(inputs) == 2
                                               and all(isinstance(v, str) for v in inputs)):
            inputs = [inputs]
        inputs = list(inputs)
        if texts is not None:
            if not all(isinstance(v, str) for v in inputs):
                raise TypeError('with texts=, the inputs are video paths')
            texts = [texts] * len(inputs) if isinstance(texts, str) else list(texts)
            if len(texts) != len(inputs):
                raise ValueError(f'{len(inputs)} videos but {len(texts)} texts')
            return list(zip(inputs, texts))
        queries = []
        for index, item in enumerate(inputs):
            if isinstance(item, dict) and {'video', 'sentence'} <= set(item):
                queries.append((item['video'], item['sentence']))
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                queries.append((item[0], item[1]))
            else:
                raise TypeError(f'input {index}: expected dict(video=..., sentence=...) or '
                                f'(video, sentence), or videos with texts=, got {item!r}')
        return queries

    def preprocess(self, inputs, batch_size: int = 1, texts=None, **kwargs):
        """The queries in chunks of ``batch_size`` (each chunk goes to
        :func:`inference_grounder`, which runs the pipeline and the model)."""
        queries = self._queries(inputs, texts)
        for start in range(0, len(queries), batch_size):
            yield queries[start:start + batch_size]

    def forward(self, queries: List[Tuple[str, str]], **kwargs) -> List[STVGPrediction]:
        videos, sentences = zip(*queries)
        return inference_grounder(
            self.model, list(videos), list(sentences), batch_size=len(queries))

    def __call__(self,
                 inputs: InputsType,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 **kwargs) -> dict:
        """Ground every query.

        Args:
            inputs: (video, sentence) pairs (see the module docstring).
            return_datasamples (bool): ``predictions`` holds the model's data samples
                instead of dicts. Defaults to False.
            batch_size (int): queries per forward pass. Defaults to 1.
            texts (str | list[str], optional): the sentence(s), when ``inputs`` are videos.
            out_dir (str): write ``vis/<i>_<video name>.mp4`` (the drawn tube, caption and
                timeline) and ``preds/<i>_<video name>.json`` here. Defaults to '' (none).
            draw_gif (bool): also write ``vis/<i>_<video name>.gif``. Defaults to False.
            max_frames (int, optional): draw at most this many frames, evenly spread.
            pred_out_dir (str): where the prediction JSONs go (default: ``out_dir/preds``).
            print_result (bool): print the predictions. Defaults to False.

        Returns:
            dict: ``predictions`` (one dict per query, :meth:`STVGPrediction.to_dict` with
            the query's ``index``; or data samples) and ``visualization`` (the drawn videos'
            paths; empty without ``out_dir``).

        Raises:
            ValueError: bad inputs (also ``TypeError`` / ``FileNotFoundError``), raised
                before any video is decoded (:func:`inference_grounder`'s checks).
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'batch_size must be an integer >= 1, got {batch_size!r}')
        pre, fwd, vis, post = self._dispatch_kwargs(**kwargs)
        chunks = list(self.preprocess(inputs, batch_size=batch_size, **pre))
        preds: List[STVGPrediction] = []
        for chunk in (track(chunks, description='Grounding') if self.show_progress else chunks):
            preds.extend(self.forward(chunk, **fwd))
        visualization = self.visualize(preds, **vis)
        return self.postprocess(preds, visualization, return_datasamples, **post)

    def visualize(self,
                  preds: List[STVGPrediction],
                  out_dir: str = '',
                  draw_gif: bool = False,
                  max_frames: Optional[int] = None,
                  **kwargs) -> List[str]:
        """Draw each prediction on its video: ``out_dir/vis/<i>_<video name>.mp4`` (and
        ``.gif``); returns the video paths (none without ``out_dir``)."""
        if not out_dir:
            return []
        paths = []
        for index, pred in enumerate(preds):
            stem = f'{index}_{osp.splitext(osp.basename(pred.video))[0]}'
            out = osp.join(out_dir, 'vis', f'{stem}.mp4')
            outs = [out] + ([osp.join(out_dir, 'vis', f'{stem}.gif')] if draw_gif else [])
            for out_file in outs:
                self.visualizer.add_datasample(
                    stem,
                    pred.video,
                    prediction_sample(pred),
                    draw_gt=False,
                    out_file=out_file,
                    max_frames=max_frames)
            paths.append(out)
        return paths

    def postprocess(self,
                    preds: List[STVGPrediction],
                    visualization: List[str],
                    return_datasamples: bool = False,
                    print_result: bool = False,
                    pred_out_dir: str = '',
                    **kwargs) -> Dict[str, list]:
        """``dict(predictions, visualization)``; the JSON of each prediction is written to
        ``pred_out_dir`` when given."""
        results = []
        for index, pred in enumerate(preds):
            info = dict(index=index, **pred.to_dict())
            info['canvas'] = self.visualizer.canvas_geometry(pred.size, pred.sentence)
            if pred_out_dir:
                stem = f'{index}_{osp.splitext(osp.basename(pred.video))[0]}'
                mmengine.dump(
                    info, osp.join(pred_out_dir, f'{stem}.json'), indent=2, ensure_ascii=False)
            results.append(pred.data_sample if return_datasamples else info)
        if print_result:
            for info in results:
                print(info)
        return dict(predictions=results, visualization=visualization)

    def _dispatch_kwargs(self, **kwargs) -> Tuple[Dict, Dict, Dict, Dict]:
        """mmengine's dispatch, with ``out_dir`` also giving the default ``pred_out_dir``."""
        out_dir = kwargs.get('out_dir', '')
        if out_dir and not kwargs.get('pred_out_dir'):
            kwargs['pred_out_dir'] = osp.join(out_dir, 'preds')
        return super()._dispatch_kwargs(**kwargs)
