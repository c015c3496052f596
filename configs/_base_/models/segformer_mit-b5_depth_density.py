# segformer_mit-b5 with depth and density heads: DDA's segmentation network on
# MMSeg's SegFormer (MixVisionTransformer-B5 + SegformerHead). Used alone for
# self-training and wrapped by the DDA model for adversarial training.
#
# Feature grid: SegformerHead predicts at the stride-4 grid of the first MiT
# stage (patch embedding k7, s4, p3): 190x320 for a 1280x760 input, 80x160 for
# 640x320. The depth and density heads read the same four stages, resized to
# that grid and concatenated (input_transform='resize_concat', the MMSeg way),
# so all three heads share the grid of the density prior.
_base_ = ['./depth_density_segmentor.py']
data_preprocessor = dict(
    # MiT's ImageNet weights expect RGB with ImageNet mean/std (the DeepLab-v2
    # configs use the caffe BGR mean without std instead).
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
# ImageNet-1k MiT-B5 weights of the SegFormer authors, converted to MMSeg's
# key layout with MMSeg's own converter (see docs/backbones.md):
#   MIM=.venv/lib/python3.11/site-packages/mmseg/.mim
#   python $MIM/tools/model_converters/mit2mmseg.py \
#       pretrained/mit_b5.pth checkpoints/mit_b5_mmseg.pth
mit_b5_checkpoint = 'checkpoints/mit_b5_mmseg.pth'
# Single-process training; use SyncBN for multi-GPU runs.
norm_cfg = dict(type='BN', requires_grad=True)
mit_channels = [64, 128, 320, 512]
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=64,
        num_stages=4,
        num_layers=[3, 6, 40, 3],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=mit_b5_checkpoint)),
    decode_head=dict(
        type='SegformerHead',
        in_channels=mit_channels,
        in_index=[0, 1, 2, 3],
        channels=256,
        dropout_ratio=0.1,
        num_classes=16,
        norm_cfg=norm_cfg,
        align_corners=False),
    # DDA's three-conv heads (depth here, density below) on the concatenated
    # stages (1024 channels). Width 256 instead of 512: at stride 4 the grid
    # has 4x the cells of the DeepLab-v2 stride-8 grid, so the 3x3 conv costs
    # about what the reference heads cost there.
    depth_head=dict(
        in_channels=mit_channels,
        in_index=[0, 1, 2, 3],
        input_transform='resize_concat',
        channels=256,
        proj_channels=128,
        align_corners=False))
# The density head reads the stages as the depth head does.
model['density_head'] = dict(model['depth_head'])
