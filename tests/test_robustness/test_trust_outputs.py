"""Issue 22: outputs never touch what the tool did not make, one writer per
folder, options checked where they enter, one-line write errors, threads.

Each test is an example of docs/bad_inputs.md (section "Outputs, options
and threads").
"""
import errno
import json
import os
import shutil
import signal
import subprocess

import numpy as np
import pytest
import torch

import mmseg_dda  # noqa: F401

from _helpers import hold_lock, load_tool, record_runner


def _hold(folder) -> subprocess.Popen:
    """Another process that writes ``folder`` (holds its lock)."""
    return hold_lock(folder, 'acquire_folder_lock')


def _release(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


# -- item 1: outputs stay out of the inputs ------------------------------
def test_infer_out_containing_the_input_folder_is_refused(
        tiny_checkpoints, val_images, tmp_path):
    """``tools/infer.py CFG CKPT OUT/label --out OUT`` wrote label maps over
    the input images."""
    out = tmp_path / 'OUT'
    (out / 'label').mkdir(parents=True)
    for path in val_images:
        shutil.copy(path, out / 'label')
    before = {p.name: p.read_bytes() for p in (out / 'label').iterdir()}
    base = [tiny_checkpoints['dda_config'], tiny_checkpoints['dda_ckpt']]
    tool = load_tool('infer')
    with pytest.raises(SystemExit,
                       match=rf'^error: --out {out} contains the input '
                       rf'folder {out}/label: the outputs would be written '
                       r'among the inputs \(and could replace them\)\. Choose '
                       r'an --out outside the input folders\.$'):
        tool.main(base + [str(out / 'label'), '--out', str(out),
                          '--device', 'cpu'])
    with pytest.raises(SystemExit, match=r'^error: --out .*/OUT/label/x is '
                       r'.*lies inside the input folder|^error: --out '
                       r'.*/x lies inside the input folder'):
        tool.main(base + [str(out / 'label'), '--out',
                          str(out / 'label' / 'x'), '--device', 'cpu'])
    assert {p.name: p.read_bytes()
            for p in (out / 'label').iterdir()} == before


def test_infer_reruns_replace_only_listed_files(tiny_checkpoints,
                                                val_images, tmp_path):
    """A rerun replaces the files its manifest lists; a label map of the
    same name that it did not write is refused."""
    tool = load_tool('infer')
    base = [tiny_checkpoints['dda_config'], tiny_checkpoints['dda_ckpt'],
            val_images[0], '--device', 'cpu']
    out = tmp_path / 'o'
    assert tool.main(base + ['--out', str(out)]) == 0
    manifest = json.loads((out / 'manifest.json').read_text())
    stem = os.path.splitext(os.path.basename(val_images[0]))[0]
    assert f'label/{stem}.png' in manifest['outputs']
    assert tool.main(base + ['--out', str(out)]) == 0  # its own files
    mine = tmp_path / 'mine'
    (mine / 'label').mkdir(parents=True)
    (mine / 'label' / f'{stem}.png').write_bytes(b'my label map')
    with pytest.raises(SystemExit,
                       match=rf'^error: {mine} holds 1 files this run would '
                       rf'write \(e\.g\. label/{stem}\.png\) that it did not '
                       r'make \(the folder has no manifest\.json\)'):
        tool.main(base + ['--out', str(mine)])
    assert (mine / 'label' / f'{stem}.png').read_bytes() == b'my label map'


def test_test_tool_out_inside_the_test_images_is_refused(tiny_checkpoints,
                                                         val_images,
                                                         tmp_path):
    folder = os.path.dirname(val_images[0])
    tool = load_tool('test')
    with pytest.raises(SystemExit,
                       match=rf'^error: --show-dir {folder}/vis lies inside '
                       rf'the input folder {folder}: '):
        tool.main([tiny_checkpoints['dda_config'],
                   tiny_checkpoints['dda_ckpt'], '--work-dir',
                   str(tmp_path / 'w'), '--show-dir', f'{folder}/vis'])
    assert not os.path.exists(f'{folder}/vis')


def test_recalibrate_bn_out_is_the_input_checkpoint(tiny_checkpoints,
                                                    tmp_path):
    ckpt = tmp_path / 'seg.pth'
    shutil.copy(tiny_checkpoints['seg_ckpt'], ckpt)
    before = ckpt.read_bytes()
    with pytest.raises(SystemExit,
                       match=rf'^error: --out {ckpt} is the input file '
                       rf'{ckpt}: it would be replaced by the output\.'):
        load_tool('recalibrate_bn').main(
            [tiny_checkpoints['seg_config'], str(ckpt),
             tiny_checkpoints['dda_config'], '--out', str(ckpt)])
    assert ckpt.read_bytes() == before


def test_converter_does_not_replace_a_file_it_did_not_write(tmp_path,
                                                            capsys):
    dst = tmp_path / 'notes.pth'
    dst.write_bytes(b'not a checkpoint')
    src = tmp_path / 'src.pth'
    torch.save({'x': torch.zeros(1)}, src)
    assert load_tool('convert_reference_checkpoint').main(
        [str(src), str(dst)]) == 1
    assert capsys.readouterr().err.strip() == (
        f'error: DST {dst} exists and was not written by '
        'tools/convert_reference_checkpoint.py: refusing to replace it. '
        'Choose another path, or move the file away first.')
    assert dst.read_bytes() == b'not a checkpoint'


def test_fit_gmm_out_over_a_foreign_file_or_the_config(tiny_dda_config,
                                                       tmp_path):
    tool = load_tool('fit_gmm')
    with pytest.raises(SystemExit,
                       match=rf'^error: --out {tiny_dda_config} is the input '
                       'file'):
        tool.main([str(tiny_dda_config), '--out', str(tiny_dda_config),
                   '--grid', '7', '12'])
    foreign = tmp_path / 'gmm_tiny.json'  # the config's GMM set
    with pytest.raises(SystemExit, match=rf'^error: --out {foreign} is the '
                       'input file'):
        tool.main([str(tiny_dda_config), '--out', str(foreign), '--grid',
                   '7', '12'])
    mine = tmp_path / 'mine.json'
    mine.write_text('{"my": "data"}')
    with pytest.raises(SystemExit, match=rf'^error: --out {mine} exists and '
                       'was not written by tools/fit_gmm.py'):
        tool.main([str(tiny_dda_config), '--out', str(mine), '--grid', '7',
                   '12'])
    assert mine.read_text() == '{"my": "data"}'


# -- item 3: one writer per output folder --------------------------------
def test_second_step1_writer_is_refused(tiny_dda_config, tmp_path):
    """Two STEP 1 runs into one folder both exited 0 with mixed maps."""
    out = tmp_path / 'maps'
    holder = _hold(out)
    try:
        with pytest.raises(SystemExit,
                           match=rf'^error: {out} is being written by '
                           rf'another process \(pid {holder.pid} on host '
                           r'.*, started .*\)\. Wait for it to finish, or '
                           r'choose another output folder\.$'):
            load_tool('gen_density_maps').main(
                [str(tiny_dda_config), '--out', str(out), '--mask-outside',
                 '--overwrite'])
    finally:
        _release(holder)
    assert not (out / 'manifest.json').exists()
    # The first writer gone (killed: the kernel dropped its lock).
    assert load_tool('gen_density_maps').main(
        [str(tiny_dda_config), '--out', str(out), '--mask-outside']) == 0


# -- item 5: options and inputs checked where they enter -----------------
@pytest.mark.parametrize('option,message', [
    ('train_cfg.max_iters=abc', "--cfg-options train_cfg.max_iters='abc': "
     'expected an integer (the config has 4), got text'),
    ('model.loss_weights.adv_tgt=abc',
     "--cfg-options model.loss_weights.adv_tgt='abc': expected a number "
     '(the config has 0.05), got text'),
])
def test_typed_cfg_options_name_the_key(tiny_dda_config, tmp_path,
                                        monkeypatch, option, message):
    from mmseg_dda.utils.config_check import ConfigValueTypeError
    train = load_tool('train')
    record_runner(monkeypatch, train)
    with pytest.raises(ConfigValueTypeError) as exc:
        train.main([str(tiny_dda_config), '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', option])
    assert str(exc.value) == message


def test_fit_gmm_components_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        load_tool('fit_gmm').parse_args(['c.py', '--components', '0'])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        'error: argument --components: must be >= 1, got 0')


@pytest.mark.parametrize('tool,args,message', [
    ('infer', ['c.py', 'k.pth', 'a.png', '--out', 'o', '--alpha', '1.5'],
     'argument --alpha: must be a number in [0, 1], got 1.5'),
    ('infer', ['c.py', 'k.pth', 'a.png', '--out', 'o', '--alpha', 'nan'],
     'argument --alpha: must be a number in [0, 1], got nan'),
    ('infer', ['c.py', 'k.pth', 'a.png', '--out', 'o', '--threads', '0'],
     'argument --threads: must be >= 1, got 0'),
    ('fit_gmm', ['c.py', '--samples-per-class', '0'],
     'argument --samples-per-class: must be >= 1, got 0'),
    ('fit_gmm', ['c.py', '--num-images', 'all'],
     "argument --num-images: must be an integer >= 1, got 'all'"),
    ('gen_pseudo_labels', ['c.py', 'k.pth', '--log-interval', '0'],
     'argument --log-interval: must be >= 1, got 0'),
    ('convert_reference_checkpoint', ['a.pth', 'b.pth', '--num-classes',
                                      '0'],
     'argument --num-classes: must be >= 1, got 0'),
    ('test', ['c.py', 'k.pth', '--threads', '-2'],
     'argument --threads: must be >= 1, got -2'),
    ('fit_gmm', ['c.py', '--var-floor', '0.25', '0', '1'],
     'argument --var-floor: must be a number in (0, inf), got 0'),
    ('preflight', ['c.py', '--workers', '0'],
     'argument --workers: must be >= 1, got 0'),
    ('preflight', ['c.py', '--time', '-1'],
     'argument --time: must be >= 0, got -1'),
])
def test_cli_options_are_range_checked(capsys, tool, args, message):
    with pytest.raises(SystemExit) as exc:
        load_tool(tool).parse_args(args)
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f'error: {message}')


def test_full_disk_during_step1_is_one_line(tiny_dda_config, tmp_path,
                                            monkeypatch, capsys):
    """A full disk printed one OSError per image (721 lines)."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, 'save', full)
    out = tmp_path / 'maps'
    with pytest.raises(SystemExit) as exc:
        load_tool('gen_density_maps').main([str(tiny_dda_config), '--out',
                                            str(out)])
    assert str(exc.value) == (f'error: cannot write {out}/0000000.npy: No '
                              'space left on device')
    assert 'FAILED' not in capsys.readouterr().out
    assert not [p for p in out.iterdir() if p.name.endswith('.tmp')]
    monkeypatch.undo()  # space again: the same command resumes
    assert load_tool('gen_density_maps').main([str(tiny_dda_config),
                                               '--out', str(out)]) == 0


# -- item 6: threads -----------------------------------------------------
def test_tools_set_the_thread_count(tiny_checkpoints, val_images, tmp_path,
                                    monkeypatch):
    """infer.py left the thread count to OpenMP; now --threads, else
    OMP_NUM_THREADS, else half the cores (1 to 4)."""
    from mmseg_dda.utils import threads
    before = torch.get_num_threads()
    try:
        tool = load_tool('infer')
        tool.main([tiny_checkpoints['dda_config'],
                   tiny_checkpoints['dda_ckpt'], val_images[0], '--out',
                   str(tmp_path / 'o'), '--device', 'cpu', '--threads', '2'])
        assert torch.get_num_threads() == 2
        monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
        monkeypatch.setattr(threads, 'usable_cores', lambda: 2)
        assert threads.apply_threads(None) == 1 == torch.get_num_threads()
        monkeypatch.setattr(threads, 'usable_cores', lambda: 64)
        assert threads.default_threads() == 4
        monkeypatch.setenv('OMP_NUM_THREADS', '3')
        assert threads.default_threads() == 3
    finally:
        torch.set_num_threads(before)
