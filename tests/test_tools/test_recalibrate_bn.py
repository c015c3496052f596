"""tools/recalibrate_bn.py: BN statistics re-estimated, weights untouched."""
import torch

from _helpers import load_tool


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

