from .video_clip_encoder import VideoClipEncoder
from .vidswin_motion_encoder import VidSwinMotionEncoder

__all__ = ['VidSwinMotionEncoder', 'VideoClipEncoder']
