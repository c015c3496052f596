"""Tests of :func:`mmseg_dda.apis.build_segmentor` (checked loading)."""
import mmseg_dda  # noqa: F401

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmseg_dda.apis import build_segmentor
from mmseg_dda.checkpoint import IncompleteCheckpointError

from _fake_models import FakeDDA, FakeModel


@MODELS.register_module(name='_BSFakeSegmentor', force=True)
class _BSFakeSegmentor(FakeModel):

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.head = torch.nn.Linear(2, 3)

    def forward_heads(self, inputs):  # pragma: no cover - unused
        return dict(seg_logits=self.head(inputs))


@MODELS.register_module(name='_BSFakeDDA', force=True)
class _BSFakeDDA(FakeDDA):
    segmentor_class = _BSFakeSegmentor


@MODELS.register_module(name='_BSNoHeads', force=True)
class _BSNoHeads(FakeModel):
    """No ``forward_heads``."""


def _cfg(model_type):
    init_default_scope('mmseg')
    cfg = Config(dict(model=dict(type=model_type)))
    return cfg


def _weights(prefix=''):
    torch.manual_seed(0)
    head = torch.nn.Linear(2, 3)
    return {f'{prefix}head.weight': head.weight.detach().clone(),
            f'{prefix}head.bias': head.bias.detach().clone()}


@pytest.mark.parametrize('model_type,prefix', [
    ('_BSFakeSegmentor', ''), ('_BSFakeSegmentor', 'segmentor.'),
    ('_BSFakeDDA', ''), ('_BSFakeDDA', 'segmentor.')])
def test_either_layout_loads_into_the_segmentor(tmp_path, model_type,
                                                prefix):
    state = _weights(prefix)
    if prefix:
        state['discriminator.weight'] = torch.ones(1, 1)
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=state), path)
    segmentor, preprocessor = build_segmentor(_cfg(model_type), str(path))
    assert isinstance(segmentor, _BSFakeSegmentor) and not segmentor.training
    assert not preprocessor.training
    assert torch.equal(segmentor.head.weight, state[f'{prefix}head.weight'])


def test_checkpoint_missing_a_tensor_is_refused(tmp_path):
    """It used to be loaded with a warning, the bias left random."""
    state = _weights()
    del state['head.bias']
    path = tmp_path / 'partial.pth'
    torch.save(dict(state_dict=state), path)
    with pytest.raises(IncompleteCheckpointError,
                       match=r'partial\.pth does not fit .*head\.bias'):
        build_segmentor(_cfg('_BSFakeSegmentor'), str(path))


def test_model_without_forward_heads_is_refused(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict={}), path)
    with pytest.raises(TypeError, match='_BSNoHeads, which has no '
                       'forward_heads'):
        build_segmentor(_cfg('_BSNoHeads'), str(path))


def test_silent_loading_prints_nothing(tmp_path, capsys):
    """``logger='silent'`` (figures) vs None (the loading line printed)."""
    from mmseg_dda.checkpoint import load_model_checkpoint
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=_weights('segmentor.')), path)
    capsys.readouterr()
    load_model_checkpoint(_BSFakeSegmentor(), str(path), logger='silent')
    assert capsys.readouterr().out == ''
    load_model_checkpoint(_BSFakeSegmentor(), str(path))
    assert f'from path: {path}' in capsys.readouterr().out
