"""A plain MMEngine run; prints what it did as JSON (for the identity test).

``python plain_mmengine_run.py WORK_DIR [--with-plugin]``: with the flag,
``import mmseg_dda`` comes first; the output must not change.
"""
import json
import os
import sys

if '--with-plugin' in sys.argv:
    import mmseg_dda  # noqa: F401

import torch  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.runner import Runner, find_latest_checkpoint  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402


class _Model(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def main():
    work_dir = sys.argv[1]
    torch.manual_seed(0)
    data = [torch.randn(2) for _ in range(8)]
    runner = Runner(
        model=_Model(), work_dir=work_dir,
        train_dataloader=DataLoader(data, batch_size=2,
                                    collate_fn=lambda b: dict(inputs=b)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=4),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=2, by_epoch=False,
            max_keep_ckpts=1)),
        default_scope='mmengine', randomness=dict(seed=0))
    runner.train()
    latest = find_latest_checkpoint(work_dir)
    # A checkpoint without the bias: MMEngine loads it with a warning.
    partial = os.path.join(work_dir, 'partial.pth')
    torch.save({'state_dict': {'linear.weight': torch.ones(1, 2)}}, partial)
    runner.load_checkpoint(partial)
    print(json.dumps(dict(
        runner=type(runner).__name__, cfg=type(runner.cfg).__name__,
        files=sorted(f for f in os.listdir(work_dir) if f.endswith('.pth')),
        latest=os.path.basename(latest),
        weight=runner.model.linear.weight.tolist())))


if __name__ == '__main__':
    main()
