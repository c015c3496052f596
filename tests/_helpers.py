"""Helpers shared by the tool and config tests (not collected by pytest).

Runs the real entry points (``tools/*.py``, ``tools/dist_*.sh``) in
subprocesses, writes tiny configs derived from the shipped ones and builds the
``--cfg-options`` that shrink a shipped config to a CPU-sized smoke run.

``tests/`` is on ``sys.path`` because of ``tests/conftest.py`` (pytest's
default ``prepend`` import mode), so test modules import this file as
``_helpers``.
"""
import contextlib
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def tool_env(**extra: str) -> Dict[str, str]:
    """Environment for tool subprocesses.

    One OpenMP/MKL thread per process: on the shared 2-core test machine two
    busy-waiting OpenMP threads per process made a training iteration up to
    100x slower (0.09 s -> 10.9 s for the tiny DDA step) whenever another
    process competed for the cores.
    """
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONWARNINGS='ignore')
    env.update(extra)
    return env


#: The writer-lock module, loaded by its path in lock-holder processes.
LOCK_MODULE = str(REPO / 'mmseg_dda' / 'utils' / 'work_dir_lock.py')


def lock_holder_cmd(path, acquire: str) -> List[str]:
    """Command of a process that takes the writer lock of ``path`` with
    ``mmseg_dda.utils.work_dir_lock.<acquire>``, prints ``locked`` and holds
    it until its stdin closes. It loads the module by its path: the standard
    library only, since importing the package (torch, mmseg) costs seconds.
    """
    code = ('import importlib.util as u, sys; '
            "s = u.spec_from_file_location('wdl', sys.argv[2]); "
            'm = u.module_from_spec(s); s.loader.exec_module(m); '
            f'm.{acquire}(sys.argv[1]); '
            "print('locked', flush=True); sys.stdin.read()")
    return [PYTHON, '-c', code, str(path), LOCK_MODULE]


def hold_lock(path, acquire: str) -> subprocess.Popen:
    """Another process that holds the writer lock of ``path``
    (:func:`lock_holder_cmd`); it has taken the lock when this returns."""
    proc = subprocess.Popen(
        lock_holder_cmd(path, acquire), cwd=REPO, env=tool_env(),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'locked'
    return proc


def run_cmd(cmd: Sequence[str], timeout: float = 300,
            env: Optional[Dict[str, str]] = None,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run ``cmd`` in the repository root and return the finished process.

    Raises:
        AssertionError: If ``check`` and the exit code is not 0; the message
            carries the end of the command's output.
    """
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=REPO, env=env or tool_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f'command failed with exit code {proc.returncode}: '
            f'{" ".join(map(str, cmd))}\n--- output (tail) ---\n'
            f'{proc.stdout[-6000:]}')
    return proc


def run_tool(tool: str, args: Sequence[str], **kwargs
             ) -> subprocess.CompletedProcess:
    """Run ``python tools/<tool> <args>`` (see :func:`run_cmd`)."""
    return run_cmd([PYTHON, str(REPO / 'tools' / tool), *args], **kwargs)


_TOOLS: Dict[str, object] = {}


def load_tool(name: str, folder: Optional[str] = None):
    """The module ``tools/<name>.py``, loaded once per test session.

    Args:
        name (str): The tool's file name without ``.py``.
        folder (str, optional): Its subfolder of ``tools/``, e.g.
            ``'analysis'`` for ``tools/analysis/<name>.py``.
    """
    key = name if folder is None else f'{folder}/{name}'
    if key not in _TOOLS:
        spec = importlib.util.spec_from_file_location(
            f'_tool_{key.replace("/", "_")}', REPO / 'tools' / f'{key}.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _TOOLS[key] = module
    return _TOOLS[key]


def recording_runner(built: List, runs: Optional[List[str]] = None) -> type:
    """A stand-in for the Runner class that builds and runs nothing.

    Args:
        built (list): Receives the config of each ``from_cfg`` call.
        runs (list, optional): Receives ``'train'`` / ``'test'`` for each
            call of a built runner's ``train`` / ``test``.

    Returns:
        type: The class, with ``from_cfg``, ``train`` and ``test``.
    """
    runs = [] if runs is None else runs

    class Recorder:

        @classmethod
        def from_cfg(cls, cfg):
            built.append(cfg)
            return cls()

        def train(self):
            runs.append('train')

        def test(self):
            runs.append('test')

    return Recorder


def record_runner(monkeypatch, tool, runs: Optional[List[str]] = None
                  ) -> List:
    """Replace the tool's runner by a recorder that builds and runs nothing.

    For tests of the config a tool's ``main`` hands to the runner (flags,
    hooks, AMP) without a training or test run. Both ways of building are
    recorded: ``Runner.from_cfg`` and ``RUNNERS.build`` of the project's
    ``runner_type='DDARunner'`` (another ``runner_type`` is built by the
    real registry).

    Args:
        monkeypatch: pytest's ``monkeypatch`` fixture (undoes the swap).
        tool: A tool module, e.g. ``load_tool('train')``.
        runs (list, optional): Receives ``'train'`` / ``'test'`` for each
            run the tool starts (see :func:`recording_runner`).

    Returns:
        list: The configs passed to ``Runner.from_cfg``, in call order.
    """
    built = []
    recorder = recording_runner(built, runs)
    monkeypatch.setattr(tool, 'Runner', recorder)
    registry = getattr(tool, 'RUNNERS', None)
    if registry is not None:

        class _Registry:

            @staticmethod
            def build(cfg):
                if cfg.get('runner_type') == 'DDARunner':
                    return recorder.from_cfg(cfg)
                return registry.build(cfg)

        monkeypatch.setattr(tool, 'RUNNERS', _Registry)
    return built


def _manager_instances() -> Dict[type, set]:
    """Names of the live MMEngine global instances, per class."""
    from mmengine.utils import ManagerMixin
    found, todo = {}, [ManagerMixin]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if '_instance_dict' in vars(cls):
            found[cls] = set(cls._instance_dict)
    return found


def _drop_new_instances(before: Dict[type, set]) -> None:
    """Forget the loggers, message hubs, visualizers and scopes a run made.

    A process runs one tool; in-process runs must not share them: MMEngine
    names them after the config and the start second, so two runs of one
    config in the same second would log into the first run's file and
    carry its message hub.
    """
    import logging
    for cls, names in _manager_instances().items():
        for name in names - before.get(cls, set()):
            instance = cls._instance_dict.pop(name)
            if isinstance(instance, logging.Logger):
                for handler in list(instance.handlers):
                    handler.close()
                    instance.removeHandler(handler)


def run_tool_inprocess(tool: str, args: Sequence, check: bool = True
                       ) -> subprocess.CompletedProcess:
    """Run ``tools/<tool>``'s ``main(args)`` in this process.

    For tests of what a tool does rather than of the process around it:
    saves the 3-5 s interpreter start and import of a subprocess. The
    result reads like :func:`run_tool`'s: ``stdout`` is what the run
    printed and logged to the console (its logger is created while stdout
    is captured), followed by the traceback if it raised; ``returncode`` is
    1 then (or the ``SystemExit`` code). The environment, the work_dir
    locks and MMEngine's global instances are restored afterwards, as if
    the process had ended.

    Raises:
        AssertionError: If ``check`` and the run failed; the message
            carries the end of its output.
    """
    from mmengine.logging import MMLogger

    from mmseg_dda.utils import work_dir_lock
    module = load_tool(tool.replace('.py', ''))
    argv = [str(a) for a in args]
    environ, locks = dict(os.environ), set(work_dir_lock._held)
    before = _manager_instances()
    buf, returncode = io.StringIO(), 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        # The current logger until the Runner builds its own: print_log
        # calls before that (config checks, --resume) reach ``buf`` too.
        MMLogger.get_instance(f'_inprocess_{id(buf)}', log_level='INFO')
        try:
            module.main(argv)
        except SystemExit as exit_:
            returncode = exit_.code if isinstance(exit_.code, int) else 1
            if exit_.code not in (None, 0) and not isinstance(
                    exit_.code, int):
                print(exit_.code)
        except Exception:  # noqa: B902  (reported like a crashed process)
            traceback.print_exc()
            returncode = 1
        finally:
            for path in set(work_dir_lock._held) - locks:
                work_dir_lock.release_work_dir_lock(path)
            os.environ.clear()
            os.environ.update(environ)
            _drop_new_instances(before)
    proc = subprocess.CompletedProcess([tool, *argv], returncode,
                                       stdout=buf.getvalue())
    if check and returncode != 0:
        raise AssertionError(
            f'{tool} failed with exit code {returncode}: {" ".join(argv)}'
            f'\n--- output (tail) ---\n{proc.stdout[-6000:]}')
    return proc


def free_port() -> int:
    """A TCP port that is free right now (for torchrun's rendezvous)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def make_toy_tree(root: Path) -> Dict[str, str]:
    """Generate a small toy SYNTHIA / Cityscapes / Mapillary tree.

    Same sizes as the ``toy_data_root`` fixture, but a private copy: the
    tests below write density maps and work dirs into it.
    """
    import mmseg_dda  # noqa: F401
    from mmseg_dda.demo.toy import generate_toy_dataset
    return generate_toy_dataset(
        str(root), num_source=6, num_target=4, num_val=3, size=(128, 76),
        seed=0, with_train_labels=True)


def copy_tree(src: str, dst: Path) -> Path:
    """Copy the folder ``src`` to ``dst`` (a private copy to damage)."""
    shutil.copytree(src, dst)
    return Path(dst)


def resize_options(cfg, scale: Tuple[int, int]) -> List[str]:
    """``--cfg-options`` setting the scale of the one ``ResizeWithPad`` of
    every source, target, val and test pipeline of a DDA config."""
    pipelines = {
        'train_dataloader.dataset.source.pipeline':
        cfg.train_dataloader.dataset.source.pipeline,
        'train_dataloader.dataset.target.pipeline':
        cfg.train_dataloader.dataset.target.pipeline,
        'val_dataloader.dataset.pipeline': cfg.val_dataloader.dataset.pipeline,
        'test_dataloader.dataset.pipeline':
        cfg.test_dataloader.dataset.pipeline,
    }
    opts = []
    for prefix, pipeline in pipelines.items():
        idx = [i for i, t in enumerate(pipeline)
               if t['type'] == 'ResizeWithPad']
        assert len(idx) == 1, f'{prefix}: expected one ResizeWithPad'
        opts.append(f'{prefix}.{idx[0]}.scale=({scale[0]},{scale[1]})')
    return opts


#: ``--cfg-options`` shrinking the segmentor and discriminator of a shipped
#: ResNet DDA config (DeepLab-v2 or V1c) for a CPU smoke run: ResNet-50
#: depth at width 4, 16/8-channel depth and density heads, a 4-channel
#: discriminator, no ImageNet weights; the bottleneck layout is kept.
NARROW_RESNET_OPTIONS = [
    'model.segmentor.backbone.init_cfg=None',
    'model.segmentor.backbone.depth=50',
    'model.segmentor.backbone.stem_channels=4',
    'model.segmentor.backbone.base_channels=4',
    # layer4 of the width-4 ResNet-50: 4 * 8 * 4 = 128 channels.
    'model.segmentor.decode_head.in_channels=128',
    *[f'model.segmentor.{h}_head.{k}' for h in ('depth', 'density')
      for k in ('in_channels=128', 'channels=16', 'proj_channels=8')],
    'model.discriminator.channels=[4,4,4,4]',
]
#: ``--cfg-options`` of a two-iteration run: validation and a checkpoint
#: after iteration 2, every iteration logged.
TWO_ITERATIONS_OPTIONS = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
]


def toy_data_options(cfg, toy: Dict[str, str]) -> List[str]:
    """``--cfg-options`` pointing a shipped DDA config at a toy tree
    (:func:`make_toy_tree`): data roots, split lists, no loader workers."""
    syn, src = toy['synthia'], 'train_dataloader.dataset.source'
    tgt_type = cfg.train_dataloader.dataset.target.type
    target = toy['cityscapes' if tgt_type == 'CityscapesUDADataset' else
                 'mapillary']
    val_list = 'val.txt' if tgt_type == 'CityscapesUDADataset' else \
        'validation.txt'
    opts = [f'{src}.data_root={syn}', f'{src}.ann_file={syn}/all.txt',
            f'train_dataloader.dataset.target.data_root={target}',
            f'train_dataloader.dataset.target.ann_file={target}/train.txt']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
        if loader != 'train_dataloader':
            opts += [f'{loader}.dataset.data_root={target}',
                     f'{loader}.dataset.ann_file={target}/{val_list}']
    return opts


def write_toy_gmm(path: Path, num_classes: int, grid_hw: Tuple[int, int],
                  seed: int = 0, inv_depth: Tuple[float, float] = (20, 420),
                  random_shape: bool = False) -> str:
    """Write a GMM parameter JSON (reference format) for a tiny feature grid.

    ``tools/fit_gmm.py`` cannot fit 5 components on a 8x13 grid of a handful
    of toy images (rare classes have fewer grid cells than components), so
    the tiny configs use a synthetic set: means spread over the grid and
    over ``inv_depth`` (toy inverse depth is 65536 / (depth_cm + 1), about
    10..600). By default the variances are wide (pdf not negligible) and the
    weights uniform; ``random_shape`` draws variances and weights too (a
    well-conditioned random set).

    Returns:
        str: ``path``.
    """
    rng = np.random.default_rng(seed)
    h, w = grid_hw
    k = 5
    lo, hi = inv_depth
    mu = np.stack([
        rng.random((num_classes, k)) * (w - 1),
        rng.random((num_classes, k)) * (h - 1),
        rng.random((num_classes, k)) * (hi - lo) + lo
    ], -1)
    if random_shape:
        var = np.stack([
            rng.random((num_classes, k)) * 3 + 1,
            rng.random((num_classes, k)) * 3 + 1,
            rng.random((num_classes, k)) * 300 + 10
        ], -1)
        pi = rng.random((num_classes, k)) + .1
        pi /= pi.sum(1, keepdims=True)
    else:
        var = np.stack([
            np.full((num_classes, k), 9.0),
            np.full((num_classes, k), 4.0),
            np.full((num_classes, k), 1e4)
        ], -1)
        pi = np.full((num_classes, k), 1.0 / k)
    data = {
        '_meta': {'coordinates': {'grid_WxH': {'toy': [w, h]}}},
        'toy': {'mu': mu.tolist(), 'var': var.tolist(), 'pi': pi.tolist()}
    }
    Path(path).write_text(json.dumps(data))
    return str(path)


# -- tiny DDA config derived from the demo config ---------------------------
TINY_INPUT = (96, 57)  # (W, H): feature grid 8x13


def tiny_segmentor_text(width: int = 4, channels: int = 16,
                        proj_channels: int = 8) -> str:
    """Config text of a narrow DDA segmentor (inside ``dict(...)``).

    The demo's ResNet-50 layout with ``width`` base channels (layer4:
    ``width * 32`` channels) and depth / density heads of ``channels`` /
    ``proj_channels``.
    """
    heads = dict(in_channels=width * 32, channels=channels,
                 proj_channels=proj_channels)
    return (f'backbone=dict(stem_channels=4, base_channels={width}),\n'
            f'    decode_head=dict(in_channels={width * 32}),\n'
            f'    depth_head=dict(**{heads!r}),\n'
            f'    density_head=dict(**{heads!r})')


def tiny_pipelines_text(scale: Tuple[int, int], source_density: str) -> str:
    """Config text of ``source_pipeline``, ``target_pipeline`` and
    ``test_pipeline`` at input ``scale`` (W, H), no augmentation.

    Args:
        scale (tuple[int, int]): Network input (W, H).
        source_density (str): The source density step, e.g.
            ``"dict(type='LoadSourceDensityMaps')"``.
    """
    return f'''source_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadMappedAnnotations'),
    dict(type='LoadInverseDepth'),
    {source_density},
    dict(type='ResizeWithPad', scale={scale!r}, keep_ratio=False),
    dict(type='PackDDAInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeWithPad', scale={scale!r}, keep_ratio=False),
    dict(type='PackDDAInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadMappedAnnotations'),
    dict(type='ResizeWithPad', scale={scale!r}, keep_ratio=False,
         scale_label=False),
    dict(type='PackDDAInputs'),
]
'''


def write_tiny_dda_config(
        path: Path, roots: Dict[str, str], gmm_file: str, max_iters: int = 3,
        poly_horizon: int = 5,
        density_map_dir: Optional[str] = 'source_density_maps/tiny',
        scale: Tuple[int, int] = TINY_INPUT, segmentor: Optional[dict] = None,
        disc_channels: int = 4, runtime: Optional[str] = None) -> str:
    """A tiny DDA config inheriting ``configs/demo/toy_syn2city_dda.py``.

    A narrow ResNet-50 (:func:`tiny_segmentor_text`; by default width 4
    with 16/8-channel depth and density heads), a discriminator of
    ``disc_channels`` channels, ``scale`` inputs without augmentation, no
    dataloader workers, and source density maps read from the STEP-1 folder
    ``density_map_dir`` or, if it is None, computed on the fly from
    ``gmm_file`` (``ComputeSourceDensityMaps``).

    The text ends with ``runtime``. By default: the demo's variables
    ``input_scale``, ``gmm_file`` and ``density_map_dir`` set to this
    config's values, validation and test on the toy Cityscapes val split,
    ``max_iters`` iterations with a checkpoint at the end (all kept) and a
    poly schedule whose horizon is fixed, so that a run resumed with a
    larger ``train_cfg.max_iters`` follows the same schedule:
    ``lr_i = base * (1 - i / poly_horizon) ** 0.9``. MMEngine's ``PolyLR``
    decays over ``end - begin - 1`` steps, hence ``end = poly_horizon + 1``.

    Args:
        path (Path): Config file to write.
        roots (dict): Toy roots (:func:`make_toy_tree`).
        gmm_file (str): GMM parameter file (:func:`write_toy_gmm`).
        max_iters (int): Iterations of the default runtime.
        poly_horizon (int): Poly horizon of the default runtime.
        density_map_dir (str, optional): STEP-1 maps, relative to the
            SYNTHIA root; None: computed on the fly.
        scale (tuple[int, int]): Network input (W, H).
        segmentor (dict, optional): Arguments of
            :func:`tiny_segmentor_text`.
        disc_channels (int): Channels of each discriminator layer.
        runtime (str, optional): Config text replacing the default end
            (schedule, hooks, validation and test).

    Returns:
        str: ``path``.
    """
    demo = REPO / 'configs' / 'demo' / 'toy_syn2city_dda.py'
    if density_map_dir is None:
        density_step = (f"dict(type='ComputeSourceDensityMaps', "
                        f'gmm={gmm_file!r}, scale={scale!r})')
        source_maps = 'with_density_maps=False'
    else:
        density_step = "dict(type='LoadSourceDensityMaps')"
        source_maps = f'density_map_dir={density_map_dir!r}'
    if runtime is None:
        runtime = f'''input_scale = {scale!r}
gmm_file = {gmm_file!r}
density_map_dir = {density_map_dir!r}
val_dataloader = dict(
    num_workers=0,
    dataset=dict(data_root={roots['cityscapes']!r}, pipeline=test_pipeline))
test_dataloader = val_dataloader
max_iters = {max_iters}
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, begin=0, end={poly_horizon + 1},
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=-1))
'''
    disc = (disc_channels, ) * 4
    text = f'''_base_ = [{str(demo)!r}]
{tiny_pipelines_text(scale, density_step)}
model = dict(
    segmentor=dict(
    {tiny_segmentor_text(**(segmentor or {}))}),
    discriminator=dict(channels={disc!r}),
    density=dict(params={gmm_file!r}))
train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(
        source=dict(data_root={roots['synthia']!r}, {source_maps},
                    pipeline=source_pipeline),
        target=dict(data_root={roots['cityscapes']!r},
                    pipeline=target_pipeline)))
''' + runtime
    Path(path).write_text(text)
    return str(path)


def write_tiny_setup(tmp: Path) -> Dict[str, str]:
    """Toy tree, toy GMM on the tiny grid and the tiny DDA config.

    Returns:
        dict: ``config``, ``gmm`` and the toy roots.
    """
    from mmseg_dda.datasets.transforms.density import feature_grid_size
    roots = make_toy_tree(tmp / 'data')
    grid = feature_grid_size((TINY_INPUT[1], TINY_INPUT[0]))
    gmm = write_toy_gmm(tmp / 'gmm_tiny.json', 16, grid)
    cfg = write_tiny_dda_config(tmp / 'tiny_dda.py', roots, gmm)
    return dict(config=cfg, gmm=gmm, **roots)


def prepare_tiny_dda(tmp: Path) -> Dict[str, str]:
    """Toy tree, toy GMM, source density maps (STEP 1) and the tiny config.

    The density maps are written by ``tools/gen_density_maps.py`` (in-process,
    through its ``main``) from the config's own source dataset.

    Returns:
        dict: ``config``, ``gmm`` and the toy roots.
    """
    tiny = write_tiny_setup(tmp)
    load_tool('gen_density_maps').main([tiny['config'], '--gmm', tiny['gmm']])
    return tiny


def log_lines(output: str, marker: str) -> List[str]:
    """Lines of a tool's output that contain ``marker``."""
    return [line for line in output.splitlines() if marker in line]


def parse_metrics(output: str) -> Dict[str, float]:
    """The ``mIoU`` / ``mIoU*`` / ``aAcc`` of the last UDAIoUMetric summary.

    The metric logs ``UDAIoUMetric: N images evaluated at HxW (N images);
    protocol: ...; mIoU: x, mIoU*: y, aAcc: z``.
    """
    lines = log_lines(output, 'UDAIoUMetric: ')
    if not lines:
        raise AssertionError('no UDAIoUMetric summary in the output')
    tail = lines[-1].rsplit('; ', 1)[-1]
    out = {}
    for item in tail.split(', '):
        key, value = item.split(': ')
        out[key] = float(value)
    return out
