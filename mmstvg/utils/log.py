"""The logger of code that may run without torch (annotation parsing, issue 28).

mmengine's ``MMLogger`` imports torch when its first instance is created (it asks
``mmengine.dist`` for the rank). :func:`get_logger` gives the current ``MMLogger`` whenever
torch is already imported (a Runner, a training or test script, a test: where an
``MMLogger`` can exist at all, since creating one imports torch), and otherwise mmstvg's own
python logger, which prints to stdout as ``MMLogger`` does, so that the tools that only read
annotations (``eval_submission.py``) log their warnings without importing torch.
"""
import logging
import sys

_FORMAT = '%(asctime)s - mmstvg - %(levelname)s - %(message)s'


def get_logger() -> logging.Logger:
    """mmengine's current ``MMLogger`` when torch is imported, else the logger ``'mmstvg'``
    (module docstring)."""
    if 'torch' in sys.modules:
        from mmengine.logging import MMLogger
        return MMLogger.get_current_instance()
    logger = logging.getLogger('mmstvg')
    if not logger.handlers:
        handler = logging.StreamHandler(stream=sys.stdout)
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt='%m/%d %H:%M:%S'))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
