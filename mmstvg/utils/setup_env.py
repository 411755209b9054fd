"""Registration of all mmstvg modules, as in mmdet/mmaction2 ``register_all_modules``."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmstvg module so that its components are registered.

    Args:
        init_default_scope (bool): Whether to set the default scope to ``mmstvg`` so that
            registries resolve unprefixed types in mmstvg first. Defaults to True.
    """
    import mmstvg.datasets  # noqa: F401,F403
    import mmstvg.engine  # noqa: F401,F403
    import mmstvg.evaluation  # noqa: F401,F403
    import mmstvg.evaluation.metrics  # noqa: F401,F403  (imported lazily by the package)
    import mmstvg.models  # noqa: F401,F403
    import mmstvg.structures  # noqa: F401,F403
    import mmstvg.visualization  # noqa: F401,F403
    from mmstvg.registry import DATASETS

    # the dataset classes are imported lazily by mmstvg.datasets (issue 28)
    DATASETS.import_from_location()

    if not init_default_scope:
        return
    never_created = DefaultScope.get_current_instance() is None or \
        not DefaultScope.check_instance_created('mmstvg')
    if never_created:
        DefaultScope.get_instance('mmstvg', scope_name='mmstvg')
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope.scope_name != 'mmstvg':
        warnings.warn('The current default scope '
                      f'"{current_scope.scope_name}" is not "mmstvg", '
                      '`register_all_modules` will force the current'
                      'default scope to be "mmstvg". If this is not '
                      'expected, please set `init_default_scope=False`.')
        # avoid name conflict
        new_instance_name = f'mmstvg-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmstvg')
