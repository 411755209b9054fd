from .layer_wrap_policy import layer_class_wrap_policy

__all__ = ['layer_class_wrap_policy']
