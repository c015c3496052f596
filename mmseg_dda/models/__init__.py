from . import (backbones, decode_heads, discriminators, losses,  # noqa: F401
               segmentors, uda)
