from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .fast_optim_wrapper_constructor import FastOptimWrapperConstructor, multi_tensor_choice

__all__ = ['CPUAmpOptimWrapper', 'FastOptimWrapperConstructor', 'multi_tensor_choice']
