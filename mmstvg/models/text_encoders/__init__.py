from .glove_text_encoder import GloVeTextEncoder
from .hf_text_encoder import HFTextEncoder

__all__ = ['GloVeTextEncoder', 'HFTextEncoder']
