# SYNTHIA -> Mapillary Vistas at low resolution (640, 320), 7 classes
# (expid 5); evaluation at the padded input resolution (reference protocol).
_base_ = ['./syn2map_1280x760.py']
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
        source=dict(density_map_dir=density_map_dir,
                    pipeline=source_pipeline),
        target=dict(pipeline=target_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
