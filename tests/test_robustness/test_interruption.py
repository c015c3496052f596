"""SIGKILL in the middle of a file write, then a rerun.

Each tool runs in a subprocess under ``crash_inject.py``, which stalls the
n-th matching file write half-way (after flushing the first half to disk) and
signals it; the test then kills the process with SIGKILL. Checked: no file
that a later run would take as complete is partial (every file under a final
name is whole and equal to an uninterrupted run's), the partial bytes exist
only under a hidden temp name, and a rerun finishes the job.
"""
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mmengine.config import Config
from PIL import Image

import mmseg_dda  # noqa: F401
from mmseg_dda.checkpoint import read_checkpoint

from _helpers import REPO, load_tool
from _tiny_models import save_untrained

INJECT = Path(__file__).resolve().parent / 'crash_inject.py'


def _run_and_kill(pattern, nth, tool, args, tmp_path, timeout=240):
    """Run ``tool`` with the ``nth`` write matching ``pattern`` stalled;
    SIGKILL it once the stall is reached."""
    marker = tmp_path / f'stalled_{time.time_ns()}'
    proc = subprocess.Popen(
        [sys.executable, str(INJECT), pattern, str(nth), str(marker),
         str(REPO / 'tools' / f'{tool}.py'), *map(str, args)],
        cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors='replace')
                pytest.fail(f'{tool} exited ({proc.returncode}) before the '
                            f'stalled write:\n{out[-3000:]}')
            if time.monotonic() > deadline:
                pytest.fail(f'{tool}: no stalled write within {timeout} s')
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


def _visible(folder: Path):
    return {p.name: p.read_bytes() for p in folder.iterdir()
            if p.is_file() and not p.name.startswith('.')}


def _hidden(folder: Path):
    return [p for p in folder.iterdir() if p.name.startswith('.')]


def test_density_maps_killed_mid_write(tmp_path, tiny_dda_config):
    tool = load_tool('gen_density_maps')
    ref, out = tmp_path / 'ref', tmp_path / 'out'
    assert tool.main([str(tiny_dda_config), '--out', str(ref)]) == 0
    expected = _visible(ref)
    assert len(expected) == 7 and 'manifest.json' in expected  # + 6 maps

    _run_and_kill(r'\.npy', 3, 'gen_density_maps',
                  [tiny_dda_config, '--out', out], tmp_path)
    left = _visible(out)
    # Two whole maps and the manifest (written first), nothing partial
    # under a final name.
    assert len(left) == 3 and 'manifest.json' in left
    assert all(expected[name] == data for name, data in left.items())
    partial = _hidden(out)
    assert len(partial) == 1 and partial[0].name.endswith('.tmp')
    assert 0 < partial[0].stat().st_size

    assert tool.main([str(tiny_dda_config), '--out', str(out)]) == 0
    assert _visible(out) == expected


def test_pseudo_labels_killed_mid_write(tmp_path, tiny_dda_config):
    ckpt = tmp_path / 'dda.pth'
    save_untrained(Config.fromfile(str(tiny_dda_config)).model, ckpt)
    tool = load_tool('gen_pseudo_labels')
    common = ['--threshold', '0.01', '--num-workers', '0', '--device', 'cpu']
    ref, out = tmp_path / 'ref', tmp_path / 'out'
    tool.main([str(tiny_dda_config), str(ckpt), '--out', str(ref), *common])
    expected = _visible(ref)
    assert len(expected) == 5 and 'manifest.json' in expected  # + 4 labels

    _run_and_kill(r'\.png', 3, 'gen_pseudo_labels',
                  [tiny_dda_config, ckpt, '--out', out, *common], tmp_path)
    left = _visible(out)
    assert len(left) == 3 and 'manifest.json' in left
    assert all(expected[name] == data for name, data in left.items())
    for name in set(left) - {'manifest.json'}:  # and they decode
        with Image.open(out / name) as img:
            img.load()
    partial = _hidden(out)
    assert len(partial) == 1 and partial[0].name.endswith('.tmp')

    stats = tool.main(
        [str(tiny_dda_config), str(ckpt), '--out', str(out), *common])
    assert stats.images == 2  # only the missing ones
    assert _visible(out) == expected


def _checkpoint_iter(path: Path) -> int:
    return int(read_checkpoint(str(path))['meta']['iter'])


@pytest.mark.parametrize('pattern,nth,resume_from', [
    # the second checkpoint (iter_4.pth) is being written
    (r'iter_\d+\.pth', 2, 2),
    # last_checkpoint is being rewritten after iter_4.pth was saved
    (r'^last_checkpoint$', 2, 4),
])
def test_training_killed_while_saving(tmp_path, tiny_dda_config, pattern,
                                      nth, resume_from):
    from mmseg_dda.checkpoint import find_latest_checkpoint
    work = tmp_path / 'work'
    _run_and_kill(pattern, nth, 'train',
                  [tiny_dda_config, '--work-dir', work], tmp_path)
    # Every checkpoint under a final name is whole; iter_2.pth (the one
    # max_keep_ckpts=1 drops) is still there until its successor is saved.
    finals = sorted(work.glob('iter_*.pth'))
    assert work / 'iter_2.pth' in finals
    for path in finals:
        assert _checkpoint_iter(path) == int(path.stem.split('_')[1])
    assert all(p.name.endswith('.tmp') for p in _hidden(work))
    # The resume lookup names the newest whole checkpoint.
    latest = find_latest_checkpoint(str(work))
    assert Path(latest) == work / f'iter_{resume_from}.pth'

    # Rerun with --resume finishes the schedule.
    train = load_tool('train')
    train.main([str(tiny_dda_config), '--work-dir', str(work), '--resume'])
    assert _checkpoint_iter(work / 'iter_4.pth') == 4
    assert Path(find_latest_checkpoint(str(work))) == work / 'iter_4.pth'
    if resume_from == 2:
        # Iterations 3-4 ran again: iter_2.pth dropped after iter_4.pth
        # was written, last_checkpoint rewritten.
        assert not (work / 'iter_2.pth').exists()
        last = (work / 'last_checkpoint').read_text().strip()
        assert Path(last) == work / 'iter_4.pth'
