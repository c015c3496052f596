# The embedded toy data (tools/make_toy_data.py): SYNTHIA-format source and
# Cityscapes-format target written by the street-scene generator, read by the
# real dataset classes and transforms. Input (320, 190), 16 classes.
_base_ = ['./syn2city_1280x760.py']
input_scale = (320, 190)
density_map_dir = 'source_density_maps/toy'
# The pipelines of syn2city_1280x760.py at the toy input.
source_pipeline, target_pipeline, test_pipeline, selftrain_pipeline = (
    [dict(t, scale=input_scale) if t.type == 'ResizeWithPad' else t
     for t in _base_[p]]
    for p in ('source_pipeline', 'target_pipeline', 'test_pipeline',
              'selftrain_pipeline'))
data_root = 'demo_output/data'
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
selftrain_dataset = dict(
    data_root=data_root + '/cityscapes', ann_file='',
    pipeline=selftrain_pipeline)
val_dataloader = dict(
    num_workers=1,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root + '/cityscapes', ann_file='',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(protocol='toy Cityscapes val, native-resolution GT')
test_evaluator = val_evaluator
