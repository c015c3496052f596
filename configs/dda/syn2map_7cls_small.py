# dda_deeplabv2_r101-d8_1xb1-90k_syn2map7-640x320 (expid 5):
# SYNTHIA -> Mapillary Vistas, 7 classes, low resolution (640, 320) padded, GMM
# set c7small.
_base_ = [
    '../_base_/models/dda_deeplabv2_r101.py',
    '../_base_/datasets/syn2map_640x320.py',
    '../_base_/default_runtime.py', '../_base_/schedules/dda_90k.py'
]
model = dict(
    segmentor=dict(
        decode_head=dict(
            num_classes={{_base_.num_classes}},
            # Unweighted cross-entropy for Mapillary (§5.3).
            loss_decode=dict(class_weight=None))),
    discriminator=dict(in_channels={{_base_.num_classes}}),
    density=dict(params='c7small', num_classes={{_base_.num_classes}}),
    # §5.4, Mapillary columns.
    loss_weights=dict(
        density_src=0.005, depth_src=0.0001, adv_tgt=0.001,
        density_tgt=0.001))
optim_wrapper = dict(discriminator=dict(optimizer=dict(lr=1e-4)))
# STEP 3 on the 'selftrain' split (the first 9000 train images), which STEP 4
# trains on.
pseudo_label_cfg = dict(
    threshold=0.9,
    min_count=[100, 87, 50, 62, 57, 54, 54],
    dataset=dict(_base_.train_dataloader.dataset.target, ann_file='selftrain'))
