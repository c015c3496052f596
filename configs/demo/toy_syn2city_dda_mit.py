# DDA on a tiny MiT (SegFormer) for the toy SYNTHIA -> toy Cityscapes data:
# the MiT-B5 family of configs/dda/syn2city_16cls_mit-b5.py with the widths
# and depths cut down (embed_dims 8, one block per stage, no ImageNet
# weights) so that it trains on a CPU. A smoke configuration, not tuned.
#
# The grid is read from this model: 48x80 at the toy input 320x190. Fit the
# prior and write the maps for it before training:
#   python tools/fit_gmm.py configs/demo/toy_syn2city_dda_mit.py \
#       --out demo_output/gmm_toy_mit.json
#   python tools/gen_density_maps.py configs/demo/toy_syn2city_dda_mit.py
_base_ = [
    '../_base_/models/dda_segformer_mit-b5.py',
    '../_base_/datasets/toy_syn2city.py', '../_base_/default_runtime.py',
    '../_base_/schedules/dda_adamw_poly10warm_90k.py'
]
gmm_file = 'demo_output/gmm_toy_mit.json'
density_map_dir = 'source_density_maps/toy_mit'
toy_channels = [8, 16, 40, 64]  # embed_dims * num_heads of each stage
toy_head_init = dict(type='Kaiming', layer='Conv2d')
model = dict(
    segmentor=dict(
        backbone=dict(embed_dims=8, num_layers=[1, 1, 1, 1], init_cfg=None),
        decode_head=dict(in_channels=toy_channels, channels=32),
        depth_head=dict(
            in_channels=toy_channels, channels=32, proj_channels=16,
            init_cfg=toy_head_init),
        density_head=dict(
            in_channels=toy_channels, channels=32, proj_channels=16,
            init_cfg=toy_head_init)),
    discriminator=dict(channels=(16, 16, 16, 16)),
    density=dict(params=gmm_file))
train_dataloader = dict(
    dataset=dict(source=dict(density_map_dir=density_map_dir)))
custom_hooks = [
    dict(type='PlainCheckpointHook'),
    dict(type='DensityGridCheckHook')
]
max_iters = 400
warmup_iters = 40
# From scratch on a CPU: 10x the ImageNet-fine-tuning LR of the family.
optim_wrapper = dict(
    segmentor=dict(optimizer=dict(lr=6e-4)),
    discriminator=dict(optimizer=dict(lr=1e-4)))
# The family's warm-up and decays, over the short run.
param_scheduler = dict(
    segmentor=[
        dict(_base_.param_scheduler.segmentor[0], end=warmup_iters),
        dict(_base_.param_scheduler.segmentor[1], begin=warmup_iters,
             end=max_iters + 1)
    ],
    discriminator=[
        dict(_base_.param_scheduler.discriminator[0], end=max_iters + 1)
    ])
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, save_best=None, max_keep_ckpts=1))
