# DDA's segmentation network whatever the backbone (docs/method.md §2): a
# DepthDensitySegmentor with segmentation, depth and density heads and
# whole-image inference. deeplabv2_r101_depth_density.py and
# segformer_mit-b5_depth_density.py add the input normalisation, the
# backbone and the heads' inputs.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    pad_val=0,
    seg_pad_val=255,
    # Inputs have a fixed size; no padding happens with batch 1.
    size_divisor=1)
model = dict(
    type='DepthDensitySegmentor',
    data_preprocessor=data_preprocessor,
    decode_head=dict(
        # Unweighted by default (self-training, Mapillary); the stage-1
        # Cityscapes configs set the reference class weights.
        loss_decode=dict(
            type='WeightedCrossEntropyLoss', class_weight=None,
            loss_weight=1.0)),
    depth_head=dict(
        type='DepthHead', loss_decode=dict(type='BerHuLoss', loss_weight=1.0)),
    density_head=dict(
        type='DensityHead',
        loss_decode=dict(type='BerHuLoss', loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Multi-GPU: the density head (and the depth head in self-training) receive no
# gradient, so unused parameters must be allowed.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
