# SYNTHIA -> Cityscapes at (1280, 760) with the 7 classes of expids 2 and 3
# (docs/method.md §1.3): GMM set c7; no mIoU*, a 16-class measure (§9).
_base_ = ['./syn2city_1280x760.py']
num_classes = 7
density_map_dir = 'source_density_maps/c7'
train_dataloader = dict(
    dataset=dict(
        source=dict(num_classes=num_classes, density_map_dir=density_map_dir),
        target=dict(num_classes=num_classes)))
selftrain_dataset = dict(num_classes=num_classes)
val_dataloader = dict(dataset=dict(num_classes=num_classes))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='UDAIoUMetric',
    protocol={{_base_.val_evaluator.protocol}})
test_evaluator = val_evaluator
