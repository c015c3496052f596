"""mmseg_dda.checkpoint.loading: one reader, weights only, one-line errors."""
import os
import pickle

import numpy as np
import pytest
import torch

from mmseg_dda.checkpoint import (CheckpointFileError, checkpoint_state_dict,
                                  read_checkpoint)


class _Harmless:
    """A plain object: still needs unpickling of a non-allow-listed class."""

    value = 'x'


class _RunsCode:
    """An object whose unpickling would run a command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _one_line_naming(err, path) -> str:
    message = str(err.value)
    assert '\n' not in message and str(path) in message
    assert err.value.__cause__ is None  # no chained torch traceback
    return message


def test_plain_checkpoint_with_numpy_meta_loads(tmp_path):
    path = tmp_path / 'w.pth'
    torch.save({'meta': {'seed': np.int64(3), 'a': np.arange(2)},
                'state_dict': {'w': torch.arange(3.)}}, path)
    out = read_checkpoint(str(path))
    assert torch.equal(out['state_dict']['w'], torch.arange(3.))
    assert int(out['meta']['seed']) == 3


def test_pickled_code_is_refused(tmp_path):
    marker = tmp_path / 'executed'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _RunsCode(marker)}, path)
    with pytest.raises(CheckpointFileError) as err:
        read_checkpoint(str(path))
    message = _one_line_naming(err, path)
    assert message.startswith(f'Refusing to load {path}: it is not a plain '
                              'weights file and loading it would run pickled '
                              'code')
    assert not marker.exists()


def test_no_trusted_unpickling(tmp_path):
    path = tmp_path / 'own.pth'
    torch.save({'obj': _Harmless()}, path)
    with pytest.raises(CheckpointFileError, match='Refusing'):
        read_checkpoint(str(path))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        read_checkpoint(tmp_path / 'nothere.pth')


@pytest.fixture()
def good(tmp_path):
    path = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.randn(64, 64)}}, path)
    return path.read_bytes()


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# The examples of issue 22: torch said "failed finding central directory",
# "would run pickled code" (random bytes) and a bare EOFError.
def test_truncated_checkpoint(tmp_path, good):
    path = _write(tmp_path, 'trunc.pth', good[:len(good) // 2])
    with pytest.raises(CheckpointFileError) as err:
        read_checkpoint(str(path))
    assert 'is truncated or corrupt' in _one_line_naming(err, path)


def test_truncated_legacy_checkpoint(tmp_path):
    path = tmp_path / 'legacy.pth'
    torch.save({'w': torch.randn(64)}, path,
               _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointFileError) as err:
        read_checkpoint(str(path))
    assert 'is truncated' in _one_line_naming(err, path)


def test_random_bytes(tmp_path):
    path = _write(tmp_path, 'random.pth',
                  b'\x13' + np.random.default_rng(0).bytes(999))
    with pytest.raises(CheckpointFileError) as err:
        read_checkpoint(str(path))
    message = _one_line_naming(err, path)
    assert 'is not a PyTorch checkpoint' in message
    assert 'pickled code' not in message


def test_empty_file(tmp_path):
    path = _write(tmp_path, 'empty.pth', b'')
    with pytest.raises(CheckpointFileError) as err:
        read_checkpoint(str(path))
    assert 'is empty (0 bytes)' in _one_line_naming(err, path)


def test_other_kinds_of_files(tmp_path):
    text = _write(tmp_path, 'notes.pth', b'hello\n')
    with pytest.raises(CheckpointFileError, match='not a PyTorch checkpoint'):
        read_checkpoint(str(text))
    npy = tmp_path / 'array.npy'
    np.save(npy, np.ones(3))
    with pytest.raises(CheckpointFileError, match='not a PyTorch checkpoint'):
        read_checkpoint(str(npy))
    listing = tmp_path / 'list.pth'
    torch.save([torch.ones(1)], listing)
    with pytest.raises(CheckpointFileError,
                       match='is not a checkpoint: it holds a list'):
        checkpoint_state_dict(read_checkpoint(str(listing)), str(listing))
    plain_pickle = _write(tmp_path, 'p.pth', pickle.dumps({'a': 1}))
    with pytest.raises(CheckpointFileError, match=str(plain_pickle)):
        read_checkpoint(str(plain_pickle))
