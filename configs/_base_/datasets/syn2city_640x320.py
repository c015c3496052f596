# SYNTHIA -> Cityscapes at low resolution (640, 320), 7 classes (expid 3).
# SYNTHIA is resized from its native (1280, 760); the density maps (41x81,
# GMM set c7small) are computed from the native-resolution GT (§3.4).
_base_ = ['./syn2city_1280x760.py']
num_classes = 7
input_scale = (640, 320)
density_map_dir = 'source_density_maps/c7small'

source_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadMappedAnnotations'),
    dict(type='LoadInverseDepth'),
    dict(type='LoadSourceDensityMaps'),
    dict(type='ResizeWithPad', scale=input_scale, keep_ratio=False),
    dict(type='PackDDAInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeWithPad', scale=input_scale, keep_ratio=False),
    dict(type='PackDDAInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadMappedAnnotations'),
    dict(type='ResizeWithPad', scale=input_scale, keep_ratio=False,
         scale_label=False),
    dict(type='PackDDAInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(
            num_classes=num_classes,
            density_map_dir=density_map_dir,
            pipeline=source_pipeline),
        target=dict(num_classes=num_classes, pipeline=target_pipeline)))
val_dataloader = dict(
    dataset=dict(num_classes=num_classes, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='UDAIoUMetric',
                     protocol='Cityscapes val, full-resolution GT 1024x2048')
test_evaluator = val_evaluator
