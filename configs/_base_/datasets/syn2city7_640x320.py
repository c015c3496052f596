# SYNTHIA -> Cityscapes at low resolution (640, 320), 7 classes (expid 3).
# SYNTHIA is resized from its native (1280, 760); the density maps (41x81,
# GMM set c7small) are computed from the native-resolution GT (§3.4).
_base_ = ['./syn2city7_1280x760.py']
input_scale = (640, 320)
density_map_dir = 'source_density_maps/c7small'
# The pipelines of syn2city_1280x760.py at the smaller input.
source_pipeline, target_pipeline, test_pipeline, selftrain_pipeline = (
    [dict(t, scale=input_scale) if t.type == 'ResizeWithPad' else t
     for t in _base_[p]]
    for p in ('source_pipeline', 'target_pipeline', 'test_pipeline',
              'selftrain_pipeline'))
train_dataloader = dict(
    dataset=dict(
        source=dict(density_map_dir=density_map_dir, pipeline=source_pipeline),
        target=dict(pipeline=target_pipeline)))
selftrain_dataset = dict(pipeline=selftrain_pipeline)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
