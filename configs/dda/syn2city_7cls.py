# dda_r101-d8_1xb1-90k_syn2city7-1280x760 (expid 2): SYNTHIA -> Cityscapes,
# 7 classes, (1280, 760), GMM set c7, 96x161 feature grid.
_base_ = ['./syn2city_16cls.py']
num_classes = 7
density_map_dir = 'source_density_maps/c7'
model = dict(
    segmentor=dict(
        decode_head=dict(
            num_classes=num_classes,
            # Reference class weights for expids 2 and 3 (§5.3).
            loss_decode=dict(class_weight=[
                0.349, 0.462, 11.576, 1.325, 1.993, 3.216, 3.192
            ]))),
    discriminator=dict(in_channels=num_classes),
    density=dict(params='c7', num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(
        source=dict(num_classes=num_classes, density_map_dir=density_map_dir),
        target=dict(num_classes=num_classes)))
val_dataloader = dict(dataset=dict(num_classes=num_classes))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='UDAIoUMetric',
                     protocol='Cityscapes val, full-resolution GT 1024x2048')
test_evaluator = val_evaluator
# STEP 3: the same component sizes at low resolution (docs/method.md §13.12).
pseudo_label_cfg = dict(
    threshold=0.9, min_count=[1000, 772, 100, 316, 234, 173, 173])
