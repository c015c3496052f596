from types import SimpleNamespace

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import read_checkpoint
from mmseg_dda.engine.hooks import PlainCheckpointHook


def test_message_hub_round_trip_is_weights_only(tmp_path):
    hub = MessageHub.get_instance('plain_ckpt_test')
    for value in (1.5, 2.5, 4.0):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 3)
    checkpoint = dict(
        meta=dict(iter=3, seed=np.int64(7), best=np.float64(0.5)),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict())
    hook = PlainCheckpointHook()
    runner = SimpleNamespace(model=torch.nn.Linear(2, 1))
    hook.before_save_checkpoint(runner, checkpoint)
    # The weights are re-collected from the (unwrapped) runner model.
    assert set(checkpoint['state_dict']) == {'weight', 'bias'}
    path = tmp_path / 'iter_3.pth'
    torch.save(checkpoint, path)

    loaded = read_checkpoint(path)  # weights_only=True
    hook.after_load_checkpoint(None, loaded)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    np.testing.assert_allclose(buffer.data[0], [1.5, 2.5, 4.0])
    assert buffer.mean() == np.mean([1.5, 2.5, 4.0])
    assert loaded['meta']['seed'] == 7
