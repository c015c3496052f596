# SYNTHIA -> Mapillary at (1280, 760), 7 classes (docs/method.md §6.2, §7.5).
# The target is resized with the aspect ratio kept and pasted top-left
# (resize_with_pad); evaluation follows the reference protocol: GT resized and
# padded to the input size (scale_label=True, §13.13). Set
# scale_label=False in test_pipeline for the DADA/CTRL full-resolution protocol.
_base_ = ['./syn2city_1280x760.py']
num_classes = 7
mapillary_root = 'data/mapillary'
input_scale = (1280, 760)
density_map_dir = 'source_density_maps/c7'

target_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeWithPad', scale=input_scale, keep_ratio=True),
    dict(type='PackDDAInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadMappedAnnotations'),
    dict(type='ResizeWithPad', scale=input_scale, keep_ratio=True,
         scale_label=True),
    dict(type='PackDDAInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(num_classes=num_classes, density_map_dir=density_map_dir),
        target=dict(
            _delete_=True,
            type='MapillaryUDADataset',
            data_root=mapillary_root,
            split='train',
            num_classes=num_classes,
            ann_file='train',
            with_labels=False,
            pipeline=target_pipeline)))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MapillaryUDADataset',
        data_root=mapillary_root,
        split='validation',
        num_classes=num_classes,
        ann_file='validation',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='UDAIoUMetric',
    protocol='Mapillary validation, GT resized+padded to the input size '
    '(reference, scale_label=True)')
test_evaluator = val_evaluator
