# The embedded toy data (tools/make_toy_data.py): SYNTHIA-format source and
# Cityscapes-format target written by the street-scene generator, read by the
# real dataset classes and transforms. Input (320, 190), 16 classes.
_base_ = ['./syn2city_1280x760.py']
data_root = 'demo_output/data'
input_scale = (320, 190)
density_map_dir = 'source_density_maps/toy'

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
    num_workers=1,
    persistent_workers=False,
    dataset=dict(
        source=dict(
            data_root=data_root + '/synthia',
            ann_file='',
            density_map_dir=density_map_dir,
            pipeline=source_pipeline),
        target=dict(
            data_root=data_root + '/cityscapes',
            ann_file='',
            pipeline=target_pipeline)))
val_dataloader = dict(
    num_workers=1,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root + '/cityscapes', ann_file='',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(protocol='toy Cityscapes val, native-resolution GT')
test_evaluator = val_evaluator
