# A narrow DeepLab-v2 (ResNet-50 layout, 1/4 width, same heads and strides)
# for the CPU demo; the real experiments use ResNet-101 at full width from
# ImageNet weights. Trained from scratch for a few hundred iterations, the
# depth and density heads barely move from the reference's N(0, 0.01) init
# (their outputs stay ~1e-4), so the demo initialises them with Kaiming.
toy_head_init = dict(type='Kaiming', layer='Conv2d')
toy_segmentor = dict(
    backbone=dict(depth=50, stem_channels=16, base_channels=16,
                  init_cfg=None),
    decode_head=dict(in_channels=512),
    depth_head=dict(
        in_channels=512, channels=128, proj_channels=32,
        init_cfg=toy_head_init),
    density_head=dict(
        in_channels=512, channels=128, proj_channels=32,
        init_cfg=toy_head_init))
