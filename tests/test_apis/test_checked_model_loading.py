"""Models built outside the Runner load checkpoints checked: inference
(:func:`init_dda_model`)."""
import mmseg_dda  # noqa: F401

import pytest
import torch

from mmseg_dda.apis import init_dda_model
from mmseg_dda.checkpoint import IncompleteCheckpointError


@pytest.fixture(scope='module')
def partial_ckpt(tiny_checkpoints, tmp_path_factory):
    """The tiny segmentor checkpoint without one decode-head tensor."""
    ckpt = torch.load(tiny_checkpoints['seg_ckpt'], weights_only=True)
    key = next(k for k in ckpt['state_dict'] if k.startswith('decode_head'))
    del ckpt['state_dict'][key]
    path = tmp_path_factory.mktemp('partial') / 'partial.pth'
    torch.save(ckpt, path)
    return str(path), key


def test_inference_refuses_an_incomplete_checkpoint(tiny_checkpoints,
                                                    partial_ckpt):
    path, key = partial_ckpt
    for config in ('seg_config', 'dda_config'):
        with pytest.raises(IncompleteCheckpointError,
                           match=rf'partial\.pth does not fit .*{key}'):
            init_dda_model(tiny_checkpoints[config], path)


def test_dda_checkpoint_fills_a_segmentor_config(tiny_checkpoints):
    """The checked loader maps a DDA checkpoint's ``segmentor.*`` part."""
    model = init_dda_model(tiny_checkpoints['seg_config'],
                           tiny_checkpoints['dda_ckpt'])
    state = torch.load(tiny_checkpoints['dda_ckpt'],
                       weights_only=True)['state_dict']
    for name, value in model.state_dict().items():
        assert torch.equal(value, state['segmentor.' + name]), name



def test_mmseg_init_model_refuses_an_incomplete_checkpoint(tiny_checkpoints,
                                                           partial_ckpt):
    """Issue 22: ``mmseg.apis.init_model`` only warned. The project's models
    refuse through their own load-state-dict pre-hook (MMSeg's function is
    MMSeg's)."""
    from mmseg.apis import init_model
    path, key = partial_ckpt
    for config in ('seg_config', 'dda_config'):
        with pytest.raises(IncompleteCheckpointError,
                           match=rf'does not fit .*{key}'):
            init_model(tiny_checkpoints[config], path, device='cpu')


def test_mmseg_inferencer_refuses_an_incomplete_checkpoint(tiny_checkpoints,
                                                           partial_ckpt):
    from mmseg.apis import MMSegInferencer
    with pytest.raises(IncompleteCheckpointError, match='does not fit'):
        MMSegInferencer(tiny_checkpoints['seg_config'], partial_ckpt[0],
                        device='cpu')


def test_mmseg_init_model_maps_a_dda_checkpoint(tiny_checkpoints):
    from mmseg.apis import init_model
    model = init_model(tiny_checkpoints['seg_config'],
                       tiny_checkpoints['dda_ckpt'], device='cpu')
    state = torch.load(tiny_checkpoints['dda_ckpt'],
                       weights_only=True)['state_dict']
    for name, value in model.state_dict().items():
        assert torch.equal(value, state['segmentor.' + name]), name
