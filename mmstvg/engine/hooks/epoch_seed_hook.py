"""Reseed every random number generator at each training epoch from (seed, epoch): resume
is then exact (see :mod:`mmstvg.utils.seeding` for why restoring saved RNG states is not).

mmengine seeds once, when the runner is built, and its ``worker_init_fn`` seeds each worker
with ``seed + worker_id`` when the worker starts. A run resumed at epoch ``e`` therefore draws
other random numbers than the uninterrupted run did in epoch ``e``: in the main process
(``num_workers=0`` pipelines, dropout) because the uninterrupted run consumed numbers before,
and in persistent workers because they continue their epoch-0 streams while the resumed run
starts fresh ones. This hook makes the numbers of epoch ``e`` a function of ``(seed, e)``
alone, in the main process and (through the datasets' :class:`~mmstvg.utils.seeding.
EpochSeed`) in every worker, persistent or not.
"""
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import set_random_seed

from mmstvg.registry import HOOKS
from mmstvg.utils.seeding import derive_seed, iter_datasets


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed the main process and the train DataLoader's workers at each epoch start.

    Main process: ``derive_seed(runner.seed, epoch)`` (the runner's seed includes the rank
    when ``randomness.diff_rank_seed=True``, as mmengine's). Workers:
    ``derive_seed(runner.seed, epoch, rank, worker_id)``, for datasets with
    ``set_epoch_seed`` (every mmstvg dataset); for other datasets with workers a warning says
    that their random numbers are not reproducible on resume.
    """

    # last of the epoch-start hooks: nothing draws between the reseed and the first batch
    priority = 'LOWEST'

    def __init__(self) -> None:
        self._warned = False

    def before_train_epoch(self, runner) -> None:
        seed, epoch = runner.seed, runner.epoch
        set_random_seed(derive_seed(seed, epoch))
        loader = runner.train_loop.dataloader
        worker_seed = derive_seed(seed, epoch, get_rank())
        seeded = False
        for dataset in iter_datasets(loader.dataset):
            if hasattr(dataset, 'set_epoch_seed'):
                dataset.set_epoch_seed(worker_seed)
                seeded = True
        if not seeded and getattr(loader, 'num_workers', 0) > 0 and not self._warned:
            self._warned = True
            print_log(
                f'EpochSeedHook: {type(loader.dataset).__name__} has no set_epoch_seed, '
                'so its DataLoader workers are not reseeded per epoch: a resumed run '
                'draws other augmentations than an uninterrupted one.',
                logger='current',
                level=30)
