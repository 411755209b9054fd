# Each protocol module adds its import line here (one file per protocol).
from .base_protocol import BaseProtocol
from .dense_protocol import DenseProtocol
from .hcstvg_official_protocol import HCSTVGOfficialProtocol
from .sampled_protocol import SampledProtocol

__all__ = ['BaseProtocol', 'DenseProtocol', 'HCSTVGOfficialProtocol', 'SampledProtocol']
