"""DDARunner: checked loading, resume, what a resume changes."""
import logging

import pytest
import torch

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import IncompleteCheckpointError
from mmseg_dda.engine import DDARunner

from _tiny_models import build_tiny, tiny_dda_cfg, tiny_segmentor_cfg


def _build(kind: str, seed: int):
    segmentor = tiny_segmentor_cfg(16, backbone=dict(init_cfg=None))
    return build_tiny(segmentor if kind == 'segmentor' else
                      tiny_dda_cfg(16, segmentor), seed)


class _FakeRunner:
    """What :meth:`DDARunner.load_checkpoint` uses of a Runner."""

    _check_resume = DDARunner._check_resume

    def __init__(self, model):
        self.model = model
        self.logger = logging.getLogger('test_dda_runner')
        self.hooks = []
        self._resuming = False

    def call_hook(self, name, **kwargs):
        self.hooks.append(name)


def test_runner_load_and_resume(tmp_path):
    source = _build('segmentor', seed=1)
    path = tmp_path / 'seg.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    runner = _FakeRunner(_build('dda', seed=2))
    DDARunner.load_checkpoint(runner, str(path))
    assert runner.hooks == ['after_load_checkpoint']
    assert torch.equal(runner.model.segmentor.decode_head.conv2d_list[0]
                       .weight, source.decode_head.conv2d_list[0].weight)
    runner._resuming = True
    with pytest.raises(ValueError, match='not a training checkpoint'):
        DDARunner.load_checkpoint(runner, str(path))
    torch.save({'state_dict': source.state_dict(), 'meta': {},
                'message_hub': {}}, path)
    with pytest.raises(IncompleteCheckpointError, match='discriminator'):
        DDARunner.load_checkpoint(runner, str(path))


def test_imagenet_backbone_as_load_from_gets_a_hint(tmp_path):
    source = _build('dda', seed=1)
    backbone = {k: v for k, v in source.state_dict().items()
                if k.startswith('segmentor.backbone.')}
    path = tmp_path / 'imagenet.pth'
    torch.save({'meta': {'kind': 'imagenet'}, 'state_dict': backbone}, path)
    runner = _FakeRunner(_build('dda', seed=2))
    with pytest.raises(IncompleteCheckpointError,
                       match=r"segmentor\.decode_head \(\d+\).*ImageNet "
                       r"backbone weights only .*init_cfg=dict\(type="
                       r"'Pretrained'"):
        DDARunner.load_checkpoint(runner, str(path))


def test_removals_wait_for_the_outermost_save():
    """Best and periodic saves nest; the old files go after both."""
    from mmseg_dda.engine.hooks.atomic_checkpoint_hook import \
        _DeferredRemovals

    class _Backend:
        removed = []

        def remove(self, path):
            self.removed.append(path)

    backend = _DeferredRemovals(_Backend())
    with backend.deferring():
        with backend.deferring():
            backend.remove('a.pth')
        assert _Backend.removed == []
        backend.remove('b.pth')
    assert _Backend.removed == ['a.pth', 'b.pth']
    backend.remove('c.pth')  # outside a save: at once
    assert _Backend.removed == ['a.pth', 'b.pth', 'c.pth']
