# TensorBoard next to the local files: the training curves, the metrics and the drawn tubes
# (mmengine's TensorboardVisBackend, written to work_dirs/<name>/<timestamp>/vis_data).
# Added to a config's visualizer by `--vis-backends tensorboard` (tools/train.py,
# tools/test.py); then `tensorboard --logdir work_dirs/<name>`. Not a `_base_` file:
# default_runtime.py defines the visualizer, and mmengine refuses a key defined by two bases.
# mmaction2's `mmaction.TensorboardVisBackend` also records the drawn frames as a clip
# (it needs `moviepy`).
vis_backends = [dict(type='TensorboardVisBackend')]
