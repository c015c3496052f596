# Variant: source density maps computed on the fly from the native-resolution
# GT label and depth (identical values to STEP 1's files, §13.18), so that
# STEP 1 can be skipped.
_base_ = ['../syn2city_16cls.py']
source_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadMappedAnnotations'),
    dict(type='LoadInverseDepth'),
    # The model's GMM set: one name per config (checked by check_config_gmm).
    dict(type='ComputeSourceDensityMaps',
         gmm={{_base_.model.density.params}},
         scale=(1280, 760)),
    dict(type='ResizeWithPad', scale=(1280, 760), keep_ratio=False),
    dict(type='PackDDAInputs'),
]
train_dataloader = dict(
    dataset=dict(
        source=dict(with_density_maps=False, pipeline=source_pipeline)))
