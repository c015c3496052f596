"""Narrow widths for the benchmarks' hidden ``--tiny`` smoke runs (tests)."""


def narrow_dda_widths(model_cfg) -> None:
    """Shrink a DeepLab-v2 DDA model config in place to a few channels.

    The tests run the benchmark machinery on it in seconds; the numbers of
    such a run mean nothing.
    """
    seg = model_cfg.segmentor
    seg.backbone.update(stem_channels=4, base_channels=2)
    for head in (seg.decode_head, seg.depth_head, seg.density_head):
        head.in_channels = 64
    for head in (seg.depth_head, seg.density_head):
        head.update(channels=8, proj_channels=4)
    model_cfg.discriminator.channels = (4, 4, 4, 4)
