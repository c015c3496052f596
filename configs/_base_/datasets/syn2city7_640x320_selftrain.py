# syn2city7_640x320.py for STEP 4 (self-training, docs/method.md §8.3):
# training on selftrain_dataset, the target images with the pseudo-labels
# of the pseudo_label_dir that each *_selftrain.py config sets.
_base_ = ['./syn2city7_640x320.py']
train_dataloader = dict(
    dataset=dict(_delete_=True, **_base_.selftrain_dataset))
