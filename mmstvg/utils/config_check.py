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
   (:func:`runner_keys`: found in the runner class's source, so a custom ``runner_type`` is
   covered); mmstvg adds ``allow_partial_load``. Every other top-level key is a *variable* of
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
"""
import ast
import difflib
import functools
import inspect
import os.path as osp
import re
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from mmengine.config import Config


class ConfigError(ValueError):
    """A config key or argument that would be ignored or fail later."""


#: top-level keys read by mmstvg itself (tools, APIs, hooks)
MMSTVG_KEYS = ('allow_partial_load', )
#: top-level keys handled by mmengine outside the runner (Config) or set by the tools
CONFIG_KEYS = ('custom_imports', 'runner_type', 'launcher')
# `cfg.get('key'` / `cfg['key']` / `self.cfg.get('key'` in a runner's source
_CFG_READ = re.compile(r'''(?<![\w.])(?:self\.)?cfg(?:\.get\(|\[)\s*['"](\w+)['"]''')
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
    keys = set(MMSTVG_KEYS) | set(CONFIG_KEYS)
    for klass in runner_cls.__mro__:
        if klass is object:
            continue
        try:
            keys |= set(_CFG_READ.findall(inspect.getsource(klass)))
        except (OSError, TypeError):
            pass
        init = klass.__dict__.get('__init__')
        if init is not None:
            keys |= set(list(inspect.signature(init).parameters)[1:])
    keys.discard('cfg')
    return frozenset(keys)


def _config_files(filename: str) -> List[str]:
    """``filename`` and every file of its ``_base_`` chain (Python configs)."""
    files, todo = [], [filename]
    while todo:
        path = todo.pop()
        if path in files or not osp.isfile(path):
            continue
        files.append(path)
        if not path.endswith('.py'):
            continue
        try:
            tree = ast.parse(open(path, encoding='utf-8').read())
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
                try:
                    bases = ast.literal_eval(node.value)
                except ValueError:
                    continue
                for base in [bases] if isinstance(bases, str) else list(bases):
                    if '::' in base:  # a config of another package (mim), as mmengine
                        try:
                            base, _ = Config._get_cfg_path(base, path)
                        except Exception:  # noqa: BLE001  (not installed: mmengine says so)
                            continue
                    todo.append(
                        base if osp.isabs(base) else osp.
                        normpath(osp.join(osp.dirname(path), base)))
    return files


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
    if wrapper.get('constructor', 'DefaultOptimWrapperConstructor') != \
            'DefaultOptimWrapperConstructor':
        return  # a custom constructor defines what its config means
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
