# deeplabv2_r101-d8 with depth and density heads: the segmentation network of
# DDA (docs/method.md §2), used alone for source-only and self-training,
# and wrapped by the DDA model for adversarial training.
_base_ = ['./depth_density_segmentor.py']
data_preprocessor = dict(
    # BGR mean of the reference, no std division (§7.1).
    mean=[104.00698793, 116.66876762, 122.67891434],
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False)
# ImageNet initialisation converted from the reference's
# DeepLab_resnet_pretrained_imagenet.pth with
# tools/convert_reference_checkpoint.py --kind imagenet (see docs/pipeline.md).
imagenet_checkpoint = 'checkpoints/deeplabv2_r101_imagenet.pth'
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='DeepLabV2ResNet',
        depth=101,
        init_cfg=dict(type='Pretrained', checkpoint=imagenet_checkpoint)),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        num_classes=16,
        align_corners=True),
    depth_head=dict(in_channels=2048, align_corners=True),
    density_head=dict(in_channels=2048, align_corners=True))
