"""tools/recalibrate_bn.py: BN statistics re-estimated, weights untouched."""
import glob
import os.path as osp

import torch

from _helpers import load_tool, run_tool_inprocess


class _Tiny(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 1)
        self.bn = torch.nn.BatchNorm2d(2)

    def extract_feat(self, x):
        return self.bn(self.conv(x))


def test_running_stats_become_the_average_over_the_target_batches():
    tool = load_tool('recalibrate_bn')
    torch.manual_seed(0)
    model = _Tiny().eval()
    model.bn.running_mean.fill_(5.0)
    weights = {k: v.clone() for k, v in model.state_dict().items()
               if 'running' not in k and 'num_batches' not in k}
    batches = [torch.full((1, 1, 2, 2), v) + torch.randn(1, 1, 2, 2)
               for v in (1.0, 3.0)]
    assert tool.recalibrate_bn(model, batches) == 1
    with torch.no_grad():
        feats = [model.conv(b) for b in batches]
    want_mean = torch.stack([f.mean((0, 2, 3)) for f in feats]).mean(0)
    want_var = torch.stack([f.var((0, 2, 3), unbiased=True)
                            for f in feats]).mean(0)
    assert torch.allclose(model.bn.running_mean, want_mean, atol=1e-6)
    assert torch.allclose(model.bn.running_var, want_var, atol=1e-5)
    assert not model.training  # mode restored
    for k, v in weights.items():
        assert torch.equal(model.state_dict()[k], v), k


def test_main_recalibrates_a_segmentor_checkpoint(tiny_checkpoints,
                                                  tmp_path):
    """As ``tools/run_demo.py`` runs it: a segmentor config and checkpoint,
    the target-train images of a DDA config."""
    tiny = tiny_checkpoints
    out = tmp_path / 'recalibrated.pth'
    proc = run_tool_inprocess('recalibrate_bn.py', [
        tiny['seg_config'], tiny['seg_ckpt'], tiny['dda_config'], '--out', out
    ])
    before = torch.load(tiny['seg_ckpt'], weights_only=True)['state_dict']
    saved = torch.load(out, weights_only=True)
    after = saved['state_dict']
    images = len(glob.glob(osp.join(tiny['cityscapes'], 'leftImg8bit',
                                    'train', '*', '*.png')))
    layers = sum(k.endswith('.running_mean') for k in before)
    assert images > 0 and layers > 0
    assert (f'{layers} BN layers re-estimated on {images} target images; '
            f'wrote {out}') in proc.stdout
    assert saved['meta'] == dict(bn_recalibrated_on=images)
    assert set(after) == set(before)
    for key, value in before.items():
        if key.endswith('.num_batches_tracked'):
            # Reset, then one forward pass per target image.
            assert after[key].item() == images, key
        elif key.endswith(('.running_mean', '.running_var')):
            assert not torch.equal(after[key], value), key
        else:
            assert torch.equal(after[key], value), key


def test_a_checkpoint_without_backbone_is_not_laundered(tiny_checkpoints,
                                                        tmp_path):
    """Issue 22: every backbone tensor removed; the tool exited 0 and wrote
    a complete checkpoint with a random backbone."""
    tiny = tiny_checkpoints
    state = torch.load(tiny['seg_ckpt'], weights_only=True)['state_dict']
    partial = tmp_path / 'no_backbone.pth'
    torch.save({'state_dict': {k: v for k, v in state.items()
                               if not k.startswith('backbone.')}}, partial)
    out = tmp_path / 'recalibrated.pth'
    proc = run_tool_inprocess('recalibrate_bn.py', [
        tiny['seg_config'], partial, tiny['dda_config'], '--out', out
    ], check=False)
    assert proc.returncode == 1
    assert (f'IncompleteCheckpointError: {partial} does not fit the '
            'DepthDensitySegmentor model') in proc.stdout
    assert 'backbone (' in proc.stdout
    assert not out.exists()


def test_a_truncated_checkpoint_is_named(tiny_checkpoints, tmp_path):
    tiny = tiny_checkpoints
    data = open(tiny['seg_ckpt'], 'rb').read()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[:len(data) // 3])
    out = tmp_path / 'recalibrated.pth'
    proc = run_tool_inprocess('recalibrate_bn.py', [
        tiny['seg_config'], truncated, tiny['dda_config'], '--out', out
    ], check=False)
    assert proc.returncode == 1
    assert f'CheckpointFileError: {truncated} is truncated or corrupt' \
        in proc.stdout
    assert not out.exists()
