# dda_deeplabv2_r101-v1c-d8_1xb1-90k_syn2city16-1280x760:
# syn2city_16cls.py with MMSeg's ResNetV1c-101 backbone
# (open-mmlab://resnet101_v1c) instead of the caffe DeepLab-v2 ResNet: same
# heads, data, loss weights, class weights, discriminator and SGD/Adam poly
# schedule.
#
# The grid is 95x160 (not 96x161), so the prior is fitted for it:
#   python tools/fit_gmm.py configs/dda/syn2city_16cls_r101v1c.py \
#       --out work_dirs/gmm/syn2city_16cls_r101v1c.json
#   python tools/gen_density_maps.py configs/dda/syn2city_16cls_r101v1c.py
_base_ = ['./syn2city_16cls.py']
v1c = dict(
    type='ResNetV1c',
    depth=101,
    num_stages=4,
    out_indices=(0, 1, 2, 3),
    dilations=(1, 1, 2, 4),
    strides=(1, 2, 1, 1),
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=False,
    style='pytorch',
    contract_dilation=True,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c'))
imagenet_rgb = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
gmm_file = 'work_dirs/gmm/syn2city_16cls_r101v1c.json'
density_map_dir = 'source_density_maps/r101v1c_95x160'
model = dict(
    data_preprocessor=imagenet_rgb,
    segmentor=dict(
        data_preprocessor=imagenet_rgb,
        backbone=dict(_delete_=True, **v1c),
        decode_head=dict(in_index=3),
        depth_head=dict(in_index=3),
        density_head=dict(in_index=3)),
    density=dict(params=gmm_file))
train_dataloader = dict(
    dataset=dict(source=dict(density_map_dir=density_map_dir)))
custom_hooks = [*_base_.custom_hooks, dict(type='DensityGridCheckHook')]
