# dda_r101-d8: DeepLab-v2 ResNet-101 (caffe style, output stride 8) with
# segmentation, inverse-depth and density heads, the FC discriminator and the
# GMM depth-distribution prior (METHOD.md §2-§5). Defaults: SYN->CS 16 classes.
num_classes = 16
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # BGR mean of the reference, no std division (§7.1).
    mean=[104.00698793, 116.66876762, 122.67891434],
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255)
# ImageNet initialisation converted from the reference's
# DeepLab_resnet_pretrained_imagenet.pth with
# tools/convert_reference_checkpoint.py --kind imagenet (README).
imagenet_checkpoint = 'checkpoints/deeplabv2_r101_imagenet.pth'
model = dict(
    type='DDA',
    data_preprocessor=data_preprocessor,
    segmentor=dict(
        type='DepthDensitySegmentor',
        data_preprocessor=data_preprocessor,
        backbone=dict(
            type='DeepLabV2ResNet',
            depth=101,
            init_cfg=dict(type='Pretrained', checkpoint=imagenet_checkpoint)),
        decode_head=dict(
            type='DeepLabV2Head',
            in_channels=2048,
            num_classes=num_classes,
            align_corners=True,
            loss_decode=dict(
                type='WeightedCrossEntropyLoss',
                # "Statistics in source domain" of the reference, expid 1.
                class_weight=[
                    0.327, 0.313, 0.206, 22.427, 22.558, 5.811, 155.643,
                    59.528, 0.586, 0.882, 1.423, 12.871, 1.488, 3.955,
                    29.164, 27.563
                ],
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
        test_cfg=dict(mode='whole')),
    discriminator=dict(type='FCDiscriminator', in_channels=num_classes),
    density=dict(type='GMMDensity', params='c16', num_classes=num_classes),
    # LAMBDA_* of the reference configs (§5.4), expid 1.
    loss_weights=dict(
        seg_src=1.0,
        density_src=0.01,
        depth_src=0.005,
        adv_tgt=0.05,
        density_tgt=0.05),
    adversarial_input='entropy_density',
    source_density_gather='pred')
