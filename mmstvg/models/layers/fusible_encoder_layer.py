"""DETR encoder layer whose self-attention kernel is selectable (``attn_impl``).

mmdet's ``DetrTransformerEncoderLayer`` with its ``MultiheadAttention`` built as
:class:`~mmstvg.models.layers.FusibleMultiheadAttention`; module and parameter names are
unchanged, so MDETR weights still map one to one.
"""
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN
from mmdet.models.layers import DetrTransformerEncoderLayer
from torch.nn import ModuleList

from mmstvg.registry import MODELS
from .fusible_attention import FusibleMultiheadAttention


@MODELS.register_module()
class FusibleDetrTransformerEncoderLayer(DetrTransformerEncoderLayer):
    """``DetrTransformerEncoderLayer`` with ``self_attn_cfg['attn_impl']`` honoured."""

    def _init_layers(self) -> None:
        self.self_attn = FusibleMultiheadAttention(**self.self_attn_cfg)
        self.embed_dims = self.self_attn.embed_dims
        self.ffn = FFN(**self.ffn_cfg)
        self.norms = ModuleList(
            build_norm_layer(self.norm_cfg, self.embed_dims)[1] for _ in range(2))
