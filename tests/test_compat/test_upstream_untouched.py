"""``import mmseg_dda`` replaces no MMEngine, MMSeg or yapf object.

The project's behaviour comes from its registered classes
(``DDARunner``, ``AtomicCheckpointHook``, ``PlainCheckpointHook``, the
models' load-state-dict pre-hook), selected by its configs; another
MMEngine project in the same process gets MMEngine's behaviour.
"""
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

IDENTITY_SCRIPT = r'''
import mmengine.config.config as config_module
import mmengine.hooks as hooks
import mmengine.runner as runner_pkg
import mmengine.runner.checkpoint as checkpoint_module
import mmengine.runner.runner as runner_module
import yapf.yapflib.yapf_api as yapf_api

def snapshot():
    return {
        'Runner': runner_pkg.Runner,
        'Runner.load_checkpoint': runner_pkg.Runner.load_checkpoint,
        'Runner.resume': runner_pkg.Runner.resume,
        'Runner.save_checkpoint': runner_pkg.Runner.save_checkpoint,
        'Runner.load_or_resume': runner_pkg.Runner.load_or_resume,
        'CheckpointHook': hooks.CheckpointHook,
        **{f'CheckpointHook.{name}': value for name, value
           in vars(hooks.CheckpointHook).items() if callable(value)},
        'checkpoint.save_checkpoint': checkpoint_module.save_checkpoint,
        'runner_pkg.save_checkpoint': runner_pkg.save_checkpoint,
        'runner_module.save_checkpoint': runner_module.save_checkpoint,
        'runner_pkg.find_latest_checkpoint':
            runner_pkg.find_latest_checkpoint,
        'runner_module.find_latest_checkpoint':
            runner_module.find_latest_checkpoint,
        'checkpoint.load_checkpoint': checkpoint_module.load_checkpoint,
        'checkpoint._load_checkpoint': checkpoint_module._load_checkpoint,
        'checkpoint.load_from_local': checkpoint_module.load_from_local,
        'config.FormatCode': config_module.FormatCode,
        'yapf.FormatCode': yapf_api.FormatCode,
        'Config.pretty_text': config_module.Config.pretty_text,
        **{f'loader {prefix!r}': loader for prefix, loader in
           checkpoint_module.CheckpointLoader._schemes.items()},
    }

before = snapshot()
import mmseg_dda  # noqa: F401
import mmseg.apis  # noqa: F401  (what MMSeg's API uses is untouched too)
after = snapshot()
changed = sorted(k for k in set(before) | set(after)
                 if before.get(k) is not after.get(k))
print('CHANGED', changed)
print('COUNT', len(before))
'''


def test_import_replaces_no_upstream_object():
    out = subprocess.run([sys.executable, '-c', IDENTITY_SCRIPT], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert 'CHANGED []' in out, out
    count = int(out.split('COUNT ')[1].split()[0])
    assert count > 25  # the snapshot saw the hook's methods and loaders


def _plain_run(tmp_path, *flags):
    work = tmp_path / ('with' if flags else 'without')
    proc = subprocess.run(
        [sys.executable, str(HERE / 'plain_mmengine_run.py'), str(work),
         *flags], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # MMEngine warns about the partial checkpoint's missing bias (and does
    # not refuse it): the plugin's checked loading is not in this Runner.
    assert 'missing keys in source state_dict: linear.bias' in (
        proc.stdout + proc.stderr)
    return result


def test_plain_mmengine_runner_behaves_as_without_the_plugin(tmp_path):
    without = _plain_run(tmp_path)
    with_plugin = _plain_run(tmp_path, '--with-plugin')
    assert with_plugin == without
    assert without['runner'] == 'Runner' and without['cfg'] == 'Config'
    assert without['files'] == ['iter_4.pth', 'partial.pth']
