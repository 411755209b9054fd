"""Start-up checks of a merged config: mistakes that mmengine would only notice late, or never.

``tools/train.py`` and ``tools/test.py`` call :func:`validate_config` on the merged config
(file + command-line arguments + ``--cfg-options``) before building the runner:

1. Arguments of the components the runner builds later (hooks, optimizer wrapper, optimizer,
   gradient clipping, parameter schedulers, train/val/test loops) are checked against the
   signature of the class their ``type`` names, looked up in the registry of the config's
   ``default_scope`` as mmengine's ``build_from_cfg`` does. A misspelt argument is an error
   naming the key and the closest argument. Without this, ``CheckpointHook(intervel=1)``
   is accepted (its ``**kwargs`` are kept for ``Runner.save_checkpoint``) and the run dies at
   its first save, with nothing saved. A class taking ``**kwargs`` is checked against the
   classes it passes them to (its bases along the MRO, ``Runner.save_checkpoint`` for
   ``CheckpointHook``, the averaged model for ``EMAHook``); where that is unknown, anything is
   accepted.
2. Top-level keys. mmengine's ``Runner`` reads a fixed set of top-level keys
   (:func:`runner_keys`: the arguments of the runner class's ``__init__``, so a custom
   ``runner_type`` is covered, plus the few keys ``Runner.from_cfg`` reads besides them,
   :data:`mmstvg.utils.compat.MMENGINE_RUNNER_CFG_KEYS`, and a custom runner's ``cfg_keys``);
   mmstvg adds ``allow_partial_load``. Every other top-level key is a *variable* of
   the config files (``data_root``, ``train_pipeline``, ``num_frames`` ...): its value was
   used when the files were loaded and nothing reads it afterwards. Hence:

   - a top-level key of a config file that is no variable (no config file of the chain reads
     it) and is one typo away from a runner key (``load_fromm``, ``custom_hook``) is an error;
   - ``--cfg-options`` (:func:`mmstvg.utils.validate_cfg_options`) may set runner keys only:
     overriding a variable changes none of the values computed from it (``max_epochs=1``
     would still train ``train_cfg.max_epochs`` epochs), and a new unknown key is ignored by
     everything. Both are errors that name the keys to override instead.

mmstvg's schedules keep one source for each derived value (``train_cfg.max_epochs``; the
cosine decay ends where the loop does), so overriding the runner key is enough.

3. Values of ``--cfg-options`` (:func:`check_override_type`): a value that does not fit the
   argument's annotation in the class receiving it (:func:`override_target`), or a string
   where the config holds a number or a bool, is an error naming the key and the expected
   type, before anything is built (mmengine would build the runner, then fail inside it).

Before mmengine reads a config file, every tool checks the file and its ``_base_`` chain
(:func:`check_config_files`, through :func:`mmstvg.utils.load_config`): a syntax error is a
:class:`ConfigSyntaxError` naming the file, line and text (mmengine parses the text without
a file name: ``<unknown>``), and ``_base_`` files that name each other are a
:class:`CircularBaseError` listing the chain (mmengine recurses until ``RecursionError``).
"""
import ast
import collections.abc as abc
import difflib
import functools
import inspect
import os.path as osp
import re
import types
import typing
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from mmengine.config import Config

from mmstvg.utils.compat import package_config_path


class ConfigError(ValueError):
    """A config key or argument that would be ignored or fail later."""


class ConfigFileError(ConfigError):
    """A config file that mmengine cannot load, named in the message."""


class ConfigSyntaxError(ConfigFileError):
    """A syntax error in a config file (or a file of its ``_base_`` chain).

    Args:
        message (str): the full message (file, line, the line's text).
        filename (str): the file, as the user sees it.
        lineno (int): the line (1-based).
    """

    def __init__(self, message: str, filename: str, lineno: int) -> None:
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno


class CircularBaseError(ConfigFileError):
    """Config files whose ``_base_`` entries lead back to themselves.

    Args:
        message (str): the full message.
        files (list[str]): the cycle, its first file repeated at the end.
    """

    def __init__(self, message: str, files: List[str]) -> None:
        super().__init__(message)
        self.files = list(files)


#: top-level keys read by mmstvg itself (tools, APIs, hooks)
MMSTVG_KEYS = ('allow_partial_load', )
#: top-level keys handled by mmengine outside the runner (Config) or set by the tools
CONFIG_KEYS = ('custom_imports', 'runner_type', 'launcher')
_BASE_REF = re.compile(r'\b_base_\.(\w+)')


# ------------------------------------------------------------------------------ helpers
def _did_you_mean(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=cutoff)
    return f' (did you mean {close[0]!r}?)' if close else ''


def runner_class(cfg: Config) -> type:
    """The runner class ``tools/train.py`` / ``tools/test.py`` build for ``cfg``."""
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner
    runner_type = cfg.runner_type
    if not isinstance(runner_type, str):
        return runner_type
    from mmengine.registry import RUNNERS
    with RUNNERS.switch_scope_and_registry(cfg.get('default_scope')) as registry:
        cls = registry.get(runner_type)
    if cls is None:
        raise ConfigError(f'runner_type {runner_type!r} is not a registered runner')
    return cls


def runner_keys(cfg: Config) -> Set[str]:
    """Top-level keys that the runner of ``cfg``, mmengine's Config or mmstvg read."""
    return set(_keys_read_by(runner_class(cfg)))


@functools.lru_cache(maxsize=None)
def _keys_read_by(runner_cls: type) -> frozenset:
    """The arguments of the runner's ``__init__`` (along its MRO), the keys mmengine's
    ``Runner`` reads besides them (:data:`mmstvg.utils.compat.MMENGINE_RUNNER_CFG_KEYS`),
    a custom runner's own ``cfg_keys`` (a class attribute it may declare), and the keys of
    mmstvg and of mmengine's Config."""
    from mmstvg.utils.compat import MMENGINE_RUNNER_CFG_KEYS
    keys = set(MMSTVG_KEYS) | set(CONFIG_KEYS) | set(MMENGINE_RUNNER_CFG_KEYS)
    keys |= set(getattr(runner_cls, 'cfg_keys', ()))
    for klass in runner_cls.__mro__:
        init = klass.__dict__.get('__init__')
        if klass is not object and init is not None:
            keys |= set(list(inspect.signature(init).parameters)[1:])
    keys.discard('cfg')
    return frozenset(keys)


def _syntax_error(shown: str, text: str, err: SyntaxError, chain: List[str]) -> ConfigSyntaxError:
    """The error for ``err``, raised by parsing ``text`` (the file ``shown``, reached through
    the ``_base_`` entries of ``chain``)."""
    lineno, offset = err.lineno or 1, err.offset
    lines = text.splitlines()
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ''
    where, shown_line = f'{shown}, line {lineno}', ''
    if line.strip():
        indent = len(line) - len(line.lstrip())
        shown_line = f'\n    {line.strip()}'
        if offset and indent < offset <= len(line) + 1:
            where += f', column {offset}'
            shown_line += '\n    ' + ' ' * (offset - 1 - indent) + '^'
    through = (f'\n({shown} is a _base_ of {chain[0]}: {" -> ".join(chain + [shown])})'
               if chain else '')
    return ConfigSyntaxError(
        f'syntax error in config file {where}: {err.msg}{shown_line}{through}',
        filename=shown,
        lineno=lineno)


def _base_entries(tree: ast.Module) -> List[str]:
    """The ``_base_`` files named by a Python config: its first ``_base_ = ...``, as
    mmengine reads it; an entry that is no plain string (or that holds a placeholder, which
    mmengine substitutes first) is left out."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and \
                node.targets[0].id == '_base_':
            try:
                bases = ast.literal_eval(node.value)
            except (ValueError, TypeError):  # an expression: mmengine evaluates it
                return []
            bases = [bases] if isinstance(bases, str) else bases
            if not isinstance(bases, (list, tuple)):
                return []
            return [b for b in bases if isinstance(b, str) and '{{' not in b]
    return []


def _config_files(filename: str, strict: bool = False) -> List[str]:
    """``filename`` and every file of its ``_base_`` chain (Python configs), depth first.

    Args:
        filename (str): the config file, as the user gave it.
        strict (bool): raise for what mmengine would fail on without naming the file: a
            syntax error (:class:`ConfigSyntaxError`) or a circular ``_base_`` chain
            (:class:`CircularBaseError`). Otherwise such a file is read as far as it can be.
            Defaults to False.
    """
    files: List[str] = []
    done: Set[str] = set()

    def visit(path: str, chain: List[str], real_chain: List[str]) -> None:
        real = osp.realpath(path)
        if real in real_chain:
            if strict:
                cycle = chain[real_chain.index(real):] + [path]
                raise CircularBaseError(
                    f'circular _base_: {" -> ".join(cycle)} (each file names the next in its '
                    '_base_, so loading never ends): remove one of these _base_ entries',
                    files=cycle)
            return
        if real in done or not osp.isfile(path):
            return
        done.add(real)
        files.append(path)
        if not path.endswith('.py'):
            return
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except UnicodeDecodeError as err:
            if strict:
                raise ConfigFileError(f'config file {path}: not a UTF-8 text file ({err})')
            return
        try:
            tree = ast.parse(text)
        except SyntaxError as err:
            if strict:  # mmengine parses the text as it is too (``_is_lazy_import``)
                raise _syntax_error(path, text, err, chain) from None
            return
        for base in _base_entries(tree):
            if '::' in base:  # a config of another package (mim), as mmengine
                try:
                    base, _ = package_config_path(base, path)
                except Exception:  # noqa: BLE001  (not installed: mmengine says so)
                    continue
            visit(
                base if osp.isabs(base) else osp.normpath(osp.join(osp.dirname(path), base)),
                chain + [path], real_chain + [real])

    visit(filename, [], [])
    return files


def check_config_files(filename: str) -> List[str]:
    """Check what mmengine's ``Config.fromfile`` would fail on without naming the file: a
    syntax error in ``filename`` or in a file of its ``_base_`` chain (mmengine says
    ``SyntaxError: invalid syntax (<unknown>, line 3)``), and ``_base_`` files that name
    each other (mmengine recurses until ``RecursionError``).

    Args:
        filename (str): the config file, as the user gave it (messages show the files of
            the chain relative to it).

    Returns:
        list[str]: ``filename`` and the files of its ``_base_`` chain.

    Raises:
        ConfigSyntaxError: names the file, the line (and column) and shows the line; for a
            ``_base_`` file, the chain that leads to it.
        CircularBaseError: lists the chain, e.g. ``circular _base_: a.py -> b.py -> a.py``.
    """
    return _config_files(filename, strict=True)


def config_variables_read(cfg: Config) -> Set[str]:
    """Names that the config files of ``cfg`` read while loading: the top-level keys used to
    compute other values (``name`` in an expression, ``_base_.name``, ``{{_base_.name}}``)."""
    names: Set[str] = set()
    if not getattr(cfg, 'filename', None):
        return names
    for path in _config_files(cfg.filename):
        text = open(path, encoding='utf-8').read()
        names |= set(_BASE_REF.findall(text))
        if path.endswith('.py'):
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            names |= {
                n.id
                for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
    return names


def _walk(node: Any, path: str) -> Iterable[Tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f'{path}.{k}' if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f'{path}.{i}')


def keys_holding(cfg: Config, value: Any, within: Iterable[str], limit: int = 8) -> List[str]:
    """Paths under the top-level keys ``within`` whose value equals ``value`` (or, for a
    string, contains it): where a variable's value most likely went."""
    if value is None or isinstance(value, bool) or value == '':
        return []
    found = []
    for top in within:
        if top not in cfg:
            continue
        for path, node in _walk(cfg[top], top):
            if path == top:
                continue
            same = False
            try:
                same = node == value and type(node) is type(value)
            except Exception:  # noqa: BLE001  (arrays and other odd values: not equal)
                pass
            if not same and isinstance(value, str) and isinstance(node, str):
                same = len(value) >= 3 and value in node
            if same:
                found.append(path)
                if len(found) == limit:
                    return found
    return found


def keys_named(cfg: Config, name: str, limit: int = 3) -> List[str]:
    """Paths of nested keys called ``name`` (``train_cfg.max_epochs`` for ``max_epochs``)."""
    found = []
    for top in cfg.keys():
        for path, node in _walk(cfg[top], top):
            if path.split('.')[-1] == name and path != top:
                found.append(path)
                if len(found) == limit:
                    return found
    return found


# ------------------------------------------------------------------------ top-level keys
def check_override_top_level(cfg: Config, key: str) -> None:
    """Raise unless ``--cfg-options`` may set the top-level key ``key`` of ``cfg`` (the
    config before the override)."""
    known = runner_keys(cfg)
    if key in known:
        return
    if key in ('data_root', 'pretrained_root'):
        flag = key.replace('_', '-')
        raise ConfigError(
            f'--cfg-options: {key!r} is a variable of the config files, used when they were '
            f'loaded, so overriding it changes nothing. Pass --{flag} DIR instead (tools/'
            'train.py, tools/test.py and the other tools that read a config): it moves every '
            f'path of the config under the current {key} there '
            '(docs/user_guides/configs.md, "Moving the data").')
    if key in cfg:
        holders = keys_holding(cfg, cfg[key], [k for k in cfg.keys() if k in known])
        hint = (f' Override the values computed from it instead; keys holding its current '
                f'value: {", ".join(holders)}.' if holders else
                ' Override the values computed from it instead, or edit the config file.')
        value = repr(cfg[key])
        value = value if len(value) <= 60 else value[:57] + '...'
        raise ConfigError(
            f'--cfg-options: {key!r} is a variable of the config files, not a setting: its '
            f'value ({value}) was used when the files were loaded and nothing reads it '
            f'afterwards, so overriding it changes nothing.{hint}')
    nested = keys_named(cfg, key)
    hint = (f' (did you mean {" or ".join(repr(n) for n in nested)}?)'
            if nested else _did_you_mean(key, known | set(cfg.keys())))
    raise ConfigError(f'--cfg-options: {key!r} is not a key that mmengine\'s runner or mmstvg '
                      f'reads, nor a key of the config: it would be ignored{hint}')


def check_top_level_keys(cfg: Config) -> None:
    """Raise for a top-level key that nothing reads and is a typo of a runner key."""
    known = runner_keys(cfg)
    read = config_variables_read(cfg)
    for key in cfg.keys():
        if key in known or key in read or key.startswith('_'):
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
        if close:
            raise ConfigError(
                f'{cfg.filename or "config"}: top-level key {key!r} is read by nothing (not a '
                f'runner key, not used by the config files) (did you mean {close[0]!r}?)')


# ------------------------------------------------------------------ component arguments
def accepted_arguments(target) -> Optional[Set[str]]:
    """Keyword arguments ``target`` (a class or function) accepts, or None for any.

    A class whose ``__init__`` takes ``**kwargs`` is followed along its MRO (the usual
    ``super().__init__(**kwargs)``) until an ``__init__`` without ``**kwargs``; reaching
    ``object`` with ``**kwargs`` still open means they go elsewhere: None.
    """
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if not inspect.isclass(target):
        try:
            params = inspect.signature(target).parameters.values()
        except (TypeError, ValueError):
            return None
        if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params if p.kind in kinds}
    names: Set[str] = set()
    for klass in target.__mro__:
        if klass is object:
            return None
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = list(inspect.signature(init).parameters.values())[1:]
        except (TypeError, ValueError):
            return None
        names |= {p.name for p in params if p.kind in kinds}
        if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
            return names
    return None


def _lookup(registry, type_, scope: Optional[str], where: str):
    if not isinstance(type_, str):
        return type_
    with registry.switch_scope_and_registry(scope) as reg:
        cls = reg.get(type_)
    if cls is None:
        raise ConfigError(f'{where}: type {type_!r} is not registered in the {registry.name} '
                          f'registry (scope {scope!r})')
    return cls


def _check_args(name: str,
                kwargs: Dict[str, Any],
                accepted: Optional[Set[str]],
                where: str,
                ignore: Iterable[str] = ('type', )) -> None:
    if accepted is None:
        return
    for key in kwargs:
        if key in ignore or key in accepted:
            continue
        listed = sorted(set(accepted) - set(ignore))
        raise ConfigError(f'{where}.{key}: {name} has no argument {key!r}'
                          f'{_did_you_mean(key, listed)}. Its arguments: {", ".join(listed)}')


def _hook_arguments(cls, hook_cfg: dict, cfg: Config) -> Optional[Set[str]]:
    """What a hook accepts, following where mmengine's hooks send their ``**kwargs``."""
    from mmengine.hooks import CheckpointHook, EMAHook
    accepted = accepted_arguments(cls)
    if accepted is not None:
        return accepted
    own = {
        p.name
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    if issubclass(cls, CheckpointHook):
        # kept in `self.args` and passed to `runner.save_checkpoint` next to these
        passed = {
            'out_dir', 'filename', 'file_client_args', 'save_optimizer', 'save_param_scheduler',
            'meta', 'by_epoch', 'backend_args'
        }
        extra = accepted_arguments(runner_class(cfg).save_checkpoint)
        return None if extra is None else own | (extra - passed - {'self'})
    if issubclass(cls, EMAHook):
        from mmengine.registry import MODELS
        ema_type = hook_cfg.get('ema_type', 'ExponentialMovingAverage')
        ema = _lookup(MODELS, ema_type, cfg.get('default_scope'), 'EMAHook.ema_type')
        extra = accepted_arguments(ema)
        return None if extra is None else own | (extra - {'model'})
    return None


def _check_hook(hook_cfg, cfg: Config, where: str) -> None:
    from mmengine.registry import HOOKS
    if not isinstance(hook_cfg, dict):
        return  # None (disabled) or a built hook
    cls = _lookup(HOOKS, hook_cfg.get('type'), cfg.get('default_scope'), where)
    _check_args(
        cls.__name__,
        hook_cfg,
        _hook_arguments(cls, hook_cfg, cfg),
        where,
        ignore=('type', 'priority'))


def _check_optim_wrapper(wrapper: dict, cfg: Config, where: str) -> None:
    import torch
    from mmengine.registry import OPTIM_WRAPPERS, OPTIMIZERS
    scope = cfg.get('default_scope')
    if wrapper.get('constructor',
                   'DefaultOptimWrapperConstructor') not in ('DefaultOptimWrapperConstructor',
                                                             'FastOptimWrapperConstructor'):
        return  # a custom constructor defines what its config means (mmstvg's reads the same)
    if 'optimizer' not in wrapper:
        # several wrappers (OptimWrapperDict), each with its own optimizer
        for name, sub in wrapper.items():
            if isinstance(sub, dict) and 'optimizer' in sub:
                _check_optim_wrapper(sub, cfg, f'{where}.{name}')
        return
    cls = _lookup(OPTIM_WRAPPERS, wrapper.get('type', 'OptimWrapper'), scope, where)
    _check_args(
        cls.__name__,
        wrapper,
        accepted_arguments(cls),
        where,
        ignore=('type', 'optimizer', 'paramwise_cfg', 'constructor'))
    optimizer = wrapper['optimizer']
    if isinstance(optimizer, dict):
        opt_cls = _lookup(OPTIMIZERS, optimizer.get('type'), scope, f'{where}.optimizer')
        _check_args(
            opt_cls.__name__,
            optimizer,
            accepted_arguments(opt_cls),
            f'{where}.optimizer',
            ignore=('type', 'params'))
    clip = wrapper.get('clip_grad')
    if isinstance(clip, dict):
        func = {
            'norm': torch.nn.utils.clip_grad_norm_,
            'value': torch.nn.utils.clip_grad_value_
        }.get(clip.get('type', 'norm'))
        if func is None:
            raise ConfigError(f'{where}.clip_grad.type: {clip["type"]!r} is neither \'norm\' '
                              'nor \'value\'')
        _check_args(func.__name__, clip,
                    accepted_arguments(func) - {'parameters'}, f'{where}.clip_grad')


def _check_scheduler(sched, cfg: Config, where: str) -> None:
    from mmengine.registry import PARAM_SCHEDULERS
    if not isinstance(sched, dict):
        return
    cls = _lookup(PARAM_SCHEDULERS, sched.get('type'), cfg.get('default_scope'), where)
    accepted = accepted_arguments(cls)
    _check_args(
        cls.__name__,
        sched,
        accepted,
        where,
        ignore=('type', 'convert_to_iter_based', 'optimizer'))


def _check_loop(loop, cfg: Config, name: str) -> None:
    from mmengine.registry import LOOPS
    from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop
    if not isinstance(loop, dict):
        return
    if 'type' in loop:
        cls = _lookup(LOOPS, loop['type'], cfg.get('default_scope'), name)
    elif name == 'train_cfg':
        cls = EpochBasedTrainLoop if loop.get('by_epoch', True) else IterBasedTrainLoop
    else:
        cls = ValLoop if name == 'val_cfg' else TestLoop
    _check_args(
        cls.__name__,
        loop,
        accepted_arguments(cls),
        name,
        ignore=('type', 'by_epoch', 'runner', 'dataloader', 'evaluator'))


def check_component_arguments(cfg: Config) -> None:
    """Check hooks, optimizer wrapper / optimizer / clipping, schedulers and loops (see the
    module docstring, 1.)."""
    for name, hook in (cfg.get('default_hooks') or {}).items():
        _check_hook(hook, cfg, f'default_hooks.{name}')
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        _check_hook(hook, cfg, f'custom_hooks.{i}')
    if isinstance(cfg.get('optim_wrapper'), dict):
        _check_optim_wrapper(cfg.optim_wrapper, cfg, 'optim_wrapper')
    schedulers = cfg.get('param_scheduler')
    if isinstance(schedulers, dict) and 'type' in schedulers:
        _check_scheduler(schedulers, cfg, 'param_scheduler')
    elif isinstance(schedulers, dict):  # one list per optimizer of an OptimWrapperDict
        for key, group in schedulers.items():
            for i, s in enumerate(group if isinstance(group, (list, tuple)) else [group]):
                _check_scheduler(s, cfg, f'param_scheduler.{key}.{i}')
    elif isinstance(schedulers, (list, tuple)):
        for i, s in enumerate(schedulers):
            _check_scheduler(s, cfg, f'param_scheduler.{i}')
    for name in ('train_cfg', 'val_cfg', 'test_cfg'):
        _check_loop(cfg.get(name), cfg, name)


def validate_config(cfg: Config) -> Config:
    """All start-up checks of the merged config (module docstring); returns ``cfg``.

    Raises:
        ConfigError: the first problem found, naming the key.
    """
    check_top_level_keys(cfg)
    check_component_arguments(cfg)
    return cfg


# ------------------------------------------------------------------ --cfg-options types
_NOT_KNOWN = object()
_UNIONS = (typing.Union, types.UnionType)


def _registry_lookup(registry_name: str, type_, scope: Optional[str]):
    """The class ``type_`` names in the mmengine registry ``registry_name`` (in ``scope``),
    or None where it cannot be told (nothing is raised: mmengine reports it when building)."""
    if not isinstance(type_, str):
        return type_ if callable(type_) else None
    import mmengine.registry
    registry = getattr(mmengine.registry, registry_name)
    try:
        with registry.switch_scope_and_registry(scope) as reg:
            return reg.get(type_)
    except Exception:  # noqa: BLE001  (an unknown scope or package)
        return None


def _loop_class(loop: dict, cfg: Config, name: str):
    from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop
    if 'type' in loop:
        return _registry_lookup('LOOPS', loop['type'], cfg.get('default_scope'))
    if name == 'train_cfg':
        return EpochBasedTrainLoop if loop.get('by_epoch', True) else IterBasedTrainLoop
    return ValLoop if name == 'val_cfg' else TestLoop


#: top-level key -> the registry that builds the dicts with a ``type`` under it
_REGISTRY_OF = dict(
    model='MODELS',
    default_hooks='HOOKS',
    custom_hooks='HOOKS',
    param_scheduler='PARAM_SCHEDULERS',
    visualizer='VISUALIZERS',
    log_processor='LOG_PROCESSORS')


def override_target(cfg: Config, path: List[str], node: Any):
    """The class (or function) that receives the keys of ``node``, the dict at ``path`` in
    ``cfg``, as keyword arguments, where mmstvg knows it; else None.

    Known: the runner (top-level keys), the loops (``train_cfg`` ...), the optimizer wrapper,
    optimizer and gradient clipping, the dataloaders (torch's ``DataLoader``) and their
    samplers, datasets and transforms, the evaluators' metrics, and every dict with a
    ``type`` under ``model``, the hooks, the schedulers, the visualizer and the log processor.
    """
    import torch
    if not hasattr(node, 'keys'):
        return None
    scope = cfg.get('default_scope')
    if not path:
        return runner_class(cfg)
    top, rest = path[0], path[1:]
    if top in ('train_cfg', 'val_cfg', 'test_cfg'):
        return _loop_class(node, cfg, top) if not rest else None
    if top == 'optim_wrapper':
        if not rest:
            return _registry_lookup('OPTIM_WRAPPERS', node.get('type', 'OptimWrapper'), scope)
        if rest == ['optimizer']:
            return _registry_lookup('OPTIMIZERS', node.get('type'), scope)
        if rest == ['clip_grad']:
            return {
                'norm': torch.nn.utils.clip_grad_norm_,
                'value': torch.nn.utils.clip_grad_value_
            }.get(node.get('type', 'norm'))
        return None
    if top.endswith('_dataloader'):
        if not rest:
            return torch.utils.data.DataLoader
        if rest == ['sampler'] or rest == ['batch_sampler']:
            return _registry_lookup('DATA_SAMPLERS', node.get('type'), scope)
        if rest[0] == 'dataset' and 'type' in node:
            pipeline = 'pipeline' in rest and rest.index('pipeline') == len(rest) - 2
            return _registry_lookup('TRANSFORMS' if pipeline else 'DATASETS', node['type'], scope)
        return None
    if top.endswith('_evaluator') and 'type' in node:
        return _registry_lookup('METRICS', node['type'], scope)
    if top in _REGISTRY_OF and 'type' in node:
        return _registry_lookup(_REGISTRY_OF[top], node['type'], scope)
    return None


def _parameter(target, name: str) -> Optional[inspect.Parameter]:
    """The parameter ``name`` of ``target`` (a function, or a class: the first ``__init__``
    along its MRO that declares it, while each passes its ``**kwargs`` on), with its
    annotation evaluated where possible."""

    def find(func) -> Tuple[Optional[inspect.Parameter], bool]:
        try:
            params = inspect.signature(func).parameters
        except (TypeError, ValueError):
            return None, False
        more = any(p.kind == p.VAR_KEYWORD for p in params.values())
        param = params.get(name)
        if param is None or param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            return None, more
        if isinstance(param.annotation, str):  # postponed (``from __future__ import
            try:  # annotations``): this one alone, as others may not evaluate
                annotation = eval(param.annotation, getattr(func, '__globals__', {}))
            except Exception:  # noqa: BLE001  (a name only known to type checkers)
                annotation = inspect.Parameter.empty
            param = param.replace(annotation=annotation)
        return param, more

    if not inspect.isclass(target):
        return find(target)[0]
    for klass in target.__mro__:
        if klass is object:
            return None
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        param, more = find(init)
        if param is not None or not more:
            return param
    return None


def _accepts(annotation, value) -> Optional[bool]:
    """Whether ``value`` (from the command line: None, bool, int, float, str, list, tuple)
    fits ``annotation``: True, False, or None where the annotation is beyond what is checked
    (a class, a callable, a type variable ...)."""
    import typing
    if annotation is inspect.Parameter.empty or annotation is typing.Any or \
            annotation is object:
        return None
    origin = typing.get_origin(annotation)
    if origin in _UNIONS:
        verdicts = [_accepts(a, value) for a in typing.get_args(annotation)]
        return True if True in verdicts else (None if None in verdicts else False)
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool) or (type(value) is int and value in (0, 1))
    if annotation is int:
        return (type(value) is int) or (isinstance(value, float) and value.is_integer())
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        # a number is accepted: the command line cannot quote one (DictAction drops quotes)
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    kind = origin or annotation
    if kind in (list, tuple):
        return isinstance(value, (list, tuple))
    if kind in (abc.Sequence, abc.Iterable, abc.Collection):
        return isinstance(value, (list, tuple, str))
    if kind is abc.Mapping or (inspect.isclass(kind) and issubclass(kind, dict)):
        return isinstance(value, dict)
    return None


def _describe(annotation) -> str:
    """``annotation`` in words: ``int``, ``int or None``, ``one of 'a', 'b'`` ..."""
    origin = typing.get_origin(annotation)
    if origin in _UNIONS:
        return ' or '.join(dict.fromkeys(_describe(a) for a in typing.get_args(annotation)))
    if origin is typing.Literal:
        return 'one of ' + ', '.join(repr(a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return 'None'
    kind = origin or annotation
    if kind in (abc.Sequence, abc.Iterable, abc.Collection):
        return 'list'
    if kind is abc.Mapping or (inspect.isclass(kind) and issubclass(kind, dict)):
        return 'dict'
    return getattr(kind, '__name__', str(kind))


def _type_name(value) -> str:
    return 'None' if value is None else type(value).__name__


def _short_repr(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def check_override_type(cfg: Config, key: str, value: Any, parent: Any) -> None:
    """Raise unless ``--cfg-options key=value`` has a type that fits (mmengine would set it
    and fail later, e.g. ``int('abc')`` inside the train loop once the runner is built).

    ``parent`` is the dict (or list) of ``cfg`` that holds the key. The expected type is

    1. the annotation of the argument in the signature of the class that receives it
       (:func:`override_target`), e.g. ``EpochBasedTrainLoop(max_epochs: int)``, provided
       it accepts the current value of the config (annotations are sometimes narrower than
       the code); None is accepted where the default is None, an int where a float is
       expected, an integral float (``1e3``) where an int is, and a number where a str is
       (the command line cannot quote one);
    2. otherwise, where the config holds a number or a bool: a string is refused (the
       command line turns every number, ``true``/``false`` and ``None`` into their types, so
       a string there is no number).

    Raises:
        ConfigError: ``--cfg-options train_cfg.max_epochs='abc': expected int
            (EpochBasedTrainLoop(max_epochs: int); the config has 8), got str``.
    """
    parts = key.split('.')
    name = parts[-1]
    if hasattr(parent, 'keys'):
        current = parent[name] if name in parent else _NOT_KNOWN
        target = override_target(cfg, parts[:-1], parent)
    else:  # an item of a list
        current = parent[int(name)] if name.isdigit() and int(name) < len(parent) else \
            _NOT_KNOWN
        target = None
    has = '' if current is _NOT_KNOWN else f'the config has {_short_repr(current)}'
    head = f'--cfg-options {key}={_short_repr(value)}: expected'
    param = _parameter(target, name) if target is not None else None
    if param is not None:
        annotation = param.annotation
        verdict = _accepts(annotation, value)
        if value is None and param.default is None:
            verdict = True
        trusted = current is _NOT_KNOWN or _accepts(
            annotation, current) is not False or (current is None and param.default is None)
        if verdict is not None and trusted:
            if verdict:
                return
            expected = _describe(annotation)
            if param.default is None and 'None' not in expected.split(' or '):
                expected += ' or None'
            owner = getattr(target, '__name__', str(target))
            spelt = inspect.formatannotation(annotation)
            raise ConfigError(f'{head} {expected} ({owner}({name}: {spelt})'
                              f'{"; " + has if has else ""}), got {_type_name(value)}')
    if isinstance(current, (bool, int, float)) and isinstance(value, str):
        raise ConfigError(f'{head} {type(current).__name__} ({has}), got str')
