# SYNTHIA -> Mapillary at (1280, 760), 7 classes (docs/method.md §6.2, §7.5).
# The target is resized with the aspect ratio kept and pasted top-left
# (resize_with_pad); evaluation follows the reference protocol: GT resized and
# padded to the input size (scale_label=True, §13.13). Set scale_label=False
# in test_pipeline for the DADA/CTRL full-resolution protocol.
# STEP 4 trains on the 'selftrain' split (the first 9000 train images).
_base_ = ['./syn2city7_1280x760.py']
mapillary_root = 'data/mapillary'
# The target-side pipelines of the base with the aspect ratio kept; the
# evaluation resizes the label too.
target_pipeline, selftrain_pipeline = (
    [dict(t, keep_ratio=True) if t.type == 'ResizeWithPad' else t
     for t in _base_[p]] for p in ('target_pipeline', 'selftrain_pipeline'))
test_pipeline = [
    dict(t, keep_ratio=True, scale_label=True)
    if t.type == 'ResizeWithPad' else t for t in _base_.test_pipeline
]
train_dataloader = dict(
    dataset=dict(
        target=dict(
            type='MapillaryUDADataset',
            data_root=mapillary_root,
            pipeline=target_pipeline)))
selftrain_dataset = dict(
    type='MapillaryUDADataset', data_root=mapillary_root,
    ann_file='selftrain', pipeline=selftrain_pipeline)
val_dataloader = dict(
    dataset=dict(
        type='MapillaryUDADataset',
        data_root=mapillary_root,
        split='validation',
        ann_file='validation',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    protocol='Mapillary validation, GT resized+padded to the input size '
    '(reference, scale_label=True)')
test_evaluator = val_evaluator
