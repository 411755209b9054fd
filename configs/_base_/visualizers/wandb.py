# Weights & Biases (mmengine's WandbVisBackend): the training curves, the metrics and the
# drawn tubes, logged to the project below. Added to a config's visualizer by
# `--vis-backends wandb` (tools/train.py, tools/test.py); needs `pip install wandb` and
# `wandb login` (or WANDB_MODE=offline). Change the project or any `wandb.init` argument with
# `--cfg-options visualizer.vis_backends.1.init_kwargs.project=NAME`. Not a `_base_` file:
# default_runtime.py defines the visualizer, and mmengine refuses a key defined by two bases.
vis_backends = [dict(type='WandbVisBackend', init_kwargs=dict(project='mmstvg'))]
