# A narrow DeepLab-v2 (ResNet-50 layout, 1/4 width, same heads and strides)
# for the CPU demo and tests; the real experiments use ResNet-101 full width.
toy_segmentor = dict(
    backbone=dict(depth=50, stem_channels=16, base_channels=16,
                  init_cfg=None),
    decode_head=dict(in_channels=512),
    depth_head=dict(in_channels=512, channels=128, proj_channels=32),
    density_head=dict(in_channels=512, channels=128, proj_channels=32))
