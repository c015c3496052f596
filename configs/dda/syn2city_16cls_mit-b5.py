# dda_segformer_mit-b5_1xb1-90k_syn2city16-1280x760: DDA on SegFormer's MiT-B5,
# SYNTHIA -> Cityscapes, 16 classes, (1280, 760) source and target.
#
# Same data, loss weights, class weights, discriminator and pseudo-label
# settings as syn2city_16cls.py (DeepLab-v2); only the network, its optimiser
# (AdamW, heads at 10x LR, warm-up + linear decay; see
# ../_base_/schedules/dda_adamw_poly10warm_90k.py) and the feature grid change.
#
# Before training (docs/backbones.md):
#   1. ImageNet weights: convert the official mit_b5.pth with MMSeg's
#      mit2mmseg.py to checkpoints/mit_b5_mmseg.pth.
#   2. GMM prior for the model's grid (190x320):
#        python tools/fit_gmm.py configs/dda/syn2city_16cls_mit-b5.py \
#            --out work_dirs/gmm/syn2city_16cls_mit-b5.json
#   3. STEP 1 on the same grid:
#        python tools/gen_density_maps.py configs/dda/syn2city_16cls_mit-b5.py
# DensityGridCheckHook refuses to start if the maps, the GMM set and the model
# disagree on the grid.
_base_ = [
    '../_base_/models/dda_segformer_mit-b5.py',
    '../_base_/datasets/syn2city_1280x760.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/dda_adamw_poly10warm_90k.py',
    '../_base_/syn2city16_stage1.py'  # class weights, STEP 3
]
density_map_dir = 'source_density_maps/mit-b5_190x320'
model = dict(segmentor=dict(decode_head=dict(loss_decode=dict(
    class_weight={{_base_.syn2city16_class_weight}}))))
train_dataloader = dict(
    dataset=dict(source=dict(density_map_dir=density_map_dir)))
custom_hooks = [*_base_.custom_hooks, dict(type='DensityGridCheckHook')]
