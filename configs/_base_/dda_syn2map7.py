# DDA on DeepLab-v2 for SYNTHIA -> Mapillary Vistas with 7 classes: the
# settings that expids 4 (1280x760) and 5 (640x320) share. Each leaf adds the
# dataset base of its input size (which sets the class count), its GMM set
# and the STEP-3 dataset.
_base_ = [
    './models/dda_deeplabv2_r101.py', './default_runtime.py',
    './schedules/dda_90k.py'
]
model = dict(
    # Unweighted cross-entropy for Mapillary (docs/method.md §5.3).
    segmentor=dict(decode_head=dict(loss_decode=dict(class_weight=None))),
    # §5.4, Mapillary columns.
    loss_weights=dict(
        density_src=0.005, depth_src=0.0001, adv_tgt=0.001,
        density_tgt=0.001))
# LEARNING_RATE_D of the Mapillary columns (§5.4).
optim_wrapper = dict(discriminator=dict(optimizer=dict(lr=1e-4)))
# STEP 3 (§8.1, §8.2); each leaf adds the dataset it runs on.
pseudo_label_cfg = dict(threshold=0.9, min_count=[100, 87, 50, 62, 57, 54, 54])
