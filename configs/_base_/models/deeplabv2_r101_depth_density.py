# deeplabv2_r101-d8 with depth and density heads: the segmentation network of
# DDA (docs/method.md §2), used alone for source-only and self-training,
# and wrapped by the DDA model for adversarial training.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # BGR mean of the reference, no std division (§7.1).
    mean=[104.00698793, 116.66876762, 122.67891434],
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    # Inputs have a fixed size; no padding happens with batch 1.
    size_divisor=1)
# ImageNet initialisation converted from the reference's
# DeepLab_resnet_pretrained_imagenet.pth with
# tools/convert_reference_checkpoint.py --kind imagenet (see README).
imagenet_checkpoint = 'checkpoints/deeplabv2_r101_imagenet.pth'
model = dict(
    type='DepthDensitySegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='DeepLabV2ResNet',
        depth=101,
        init_cfg=dict(type='Pretrained', checkpoint=imagenet_checkpoint)),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        num_classes=16,
        align_corners=True,
        # Unweighted by default (self-training, Mapillary); the stage-1
        # Cityscapes configs set the reference class weights.
        loss_decode=dict(
            type='WeightedCrossEntropyLoss', class_weight=None,
            loss_weight=1.0)),
    depth_head=dict(
        type='DepthHead',
        in_channels=2048,
        align_corners=True,
        loss_decode=dict(type='BerHuLoss', loss_weight=1.0)),
    density_head=dict(
        type='DensityHead',
        in_channels=2048,
        align_corners=True,
        loss_decode=dict(type='BerHuLoss', loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Multi-GPU: the density head (and the depth head in self-training) receive no
# gradient, so unused parameters must be allowed.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
