# SYNTHIA -> Cityscapes at (1280, 760), 16 classes, GMM set c16 (docs/method.md
# §6.2, §7): the dataset base the other tasks derive from. Whole-image
# resizes, no augmentation (§13.20). Source density maps are read from the
# files written by STEP 1 (tools/gen_density_maps.py); see
# configs/dda/ablations/syn2city_16cls_onthefly_density.py to compute them on
# the fly.
#
# The pipelines are defined here only: syn2city7_640x320.py,
# syn2map_640x320.py and toy_syn2city.py change their input size (with
# mmseg_dda.utils.config_deltas), syn2map_1280x760.py the target's resize and
# evaluation.
num_classes = 16
synthia_root = 'data/SYNTHIA'
cityscapes_root = 'data/cityscapes'
crop_size = (760, 1280)  # (H, W) network input
input_scale = (1280, 760)  # (W, H) as in the reference configs
density_map_dir = 'source_density_maps/c16'

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
# Evaluation on the full-resolution label (1024x2048): scale_label=False keeps
# the label (and ori_shape) at the native size.
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadMappedAnnotations'),
    dict(type='ResizeWithPad', scale=input_scale, keep_ratio=False,
         scale_label=False),
    dict(type='PackDDAInputs'),
]
# STEP 4 (the *_selftrain.py configs) trains on the target images with the
# STEP-3 pseudo-labels, which are stored at the input size and so load after
# the resize.
selftrain_pipeline = [
    *target_pipeline[:-1],
    dict(type='LoadMappedAnnotations'),
    target_pipeline[-1],
]
train_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='SourceTargetDataset',
        source=dict(
            type='SynthiaDataset',
            data_root=synthia_root,
            num_classes=num_classes,
            ann_file='all',
            with_density_maps=True,
            density_map_dir=density_map_dir,
            pipeline=source_pipeline),
        target=dict(
            type='CityscapesUDADataset', data_root=cityscapes_root,
            split='train', ann_file='train', num_classes=num_classes,
            with_labels=False, pipeline=target_pipeline)))
# STEP 4's training set: the same target images, with the pseudo-labels of
# pseudo_label_dir (set by each *_selftrain.py config). The *_selftrain.py
# dataset bases train on it instead of the source/target pair.
selftrain_dataset = dict(
    type='CityscapesUDADataset', data_root=cityscapes_root, split='train',
    ann_file='train', num_classes=num_classes, pipeline=selftrain_pipeline)
val_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesUDADataset', data_root=cityscapes_root, split='val',
        ann_file='val', num_classes=num_classes, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='UDAIoUMetric',
    # mIoU* = the 13 classes without wall, fence, pole (§9).
    subsets={'mIoU*': dict(exclude=['wall', 'fence', 'pole'])},
    protocol='Cityscapes val, full-resolution GT 1024x2048')
test_evaluator = val_evaluator
