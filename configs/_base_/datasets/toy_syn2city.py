# The embedded toy data (tools/make_toy_data.py): SYNTHIA-format source and
# Cityscapes-format target written by the street-scene generator, read by the
# real dataset classes and transforms. Input (320, 190), 16 classes.
_base_ = ['./syn2city_1280x760.py']
from mmseg_dda.utils.config_deltas import pipelines_at_scale  # noqa: E402

# input_scale and the four pipelines of syn2city_1280x760.py at the toy input.
globals().update(pipelines_at_scale(_base_, (320, 190)))
density_map_dir = 'source_density_maps/toy'
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
