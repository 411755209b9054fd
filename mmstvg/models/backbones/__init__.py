from .video_clip_encoder import VideoClipEncoder

__all__ = ['VideoClipEncoder']
