"""Shared pytest fixtures."""
import os

import pytest

# tools/train.py runs the quick preflight first (docs/preflight.md). The
# suite's many training runs test other things and skip it;
# tests/test_preflight and tests/test_tools/test_preflight_tool.py switch it
# back on where they test it.
os.environ.setdefault('MMSEG_DDA_PREFLIGHT', '0')


def pytest_configure(config):
    """Apply the package's known-warning filters to every test.

    pytest resets the warning filters per test, so the filters that
    ``import mmseg_dda`` installs would not hold; the same list is added to
    the ``filterwarnings`` ini option instead of a copy in ``pytest.ini``.
    """
    from mmseg_dda.compat.known_warnings import pytest_filter_lines
    for line in pytest_filter_lines():
        config.addinivalue_line('filterwarnings', line)


@pytest.fixture(scope='session')
def toy_data_root(tmp_path_factory):
    """A tiny generated SYNTHIA / Cityscapes / Mapillary tree.

    6 SYNTHIA images (128x76, the 1280x760 aspect ratio), 4 target-train and
    3 val images per target domain (Cityscapes 128x64; Mapillary 128 wide
    with varied aspect ratios), target-train labels included.

    Returns:
        dict: ``{'root', 'synthia', 'cityscapes', 'mapillary'}`` paths.
    """
    import mmseg_dda  # noqa: F401
    from mmseg_dda.demo.toy import generate_toy_dataset
    root = tmp_path_factory.mktemp('toy_data')
    roots = generate_toy_dataset(
        str(root), num_source=6, num_target=4, num_val=3, size=(128, 76),
        seed=0, with_train_labels=True)
    return dict(root=str(root), **roots)


@pytest.fixture(scope='session')
def tiny_dda(tmp_path_factory):
    """The tiny DDA config of ``_helpers.prepare_tiny_dda``, made once.

    Toy tree, toy GMM, the STEP-1 density maps and the config; tests read
    it and write their work dirs elsewhere.

    Returns:
        dict: ``config``, ``gmm`` and the toy roots.
    """
    from _helpers import prepare_tiny_dda
    return prepare_tiny_dda(tmp_path_factory.mktemp('tiny_dda'))


@pytest.fixture(scope='session')
def tiny_dda_trained(tiny_dda, tmp_path_factory):
    """One real training run on ``tiny_dda``: ``tools/train.py`` (3
    iterations, validation at the end) in its own process, as a user runs
    it. Shared by every test that needs "a trained checkpoint" or the
    tool's console output; nothing may write into ``work`` (copy it first).

    Returns:
        dict: ``config``, ``work`` (``iter_3.pth``, ``last_checkpoint``,
        one log folder), ``ckpt`` and ``train_out``.
    """
    from _helpers import run_tool
    tmp = tmp_path_factory.mktemp('tiny_dda_trained')
    cfg, work = tiny_dda['config'], tmp / 'work'
    train_out = run_tool('train.py', [cfg, '--work-dir', work]).stdout
    return dict(config=cfg, work=work, ckpt=work / 'iter_3.pth',
                train_out=train_out)


@pytest.fixture(scope='session')
def tiny_dda_run(tiny_dda_trained, tmp_path_factory):
    """``tiny_dda_trained`` and then one real ``tools/test.py --out
    --show-dir`` run on its ``iter_3.pth``, in its own process.

    Returns:
        dict: the keys of ``tiny_dda_trained``, ``test_work``,
        ``test_out``, ``preds`` and ``vis`` (the ``--out`` / ``--show-dir``
        folders).
    """
    from _helpers import run_tool
    tmp = tmp_path_factory.mktemp('tiny_dda_run')
    preds, vis, test_work = tmp / 'preds', tmp / 'vis', tmp / 'test'
    test_out = run_tool('test.py', [
        tiny_dda_trained['config'], tiny_dda_trained['ckpt'], '--work-dir',
        test_work, '--out', preds, '--show-dir', vis
    ]).stdout
    return dict(tiny_dda_trained, test_work=test_work, test_out=test_out,
                preds=preds, vis=vis)


@pytest.fixture(scope='session')
def tiny_checkpoints(tmp_path_factory):
    """Tiny DDA and segmentor checkpoints of ``_tiny_models`` (read-only).

    Returns:
        dict: ``dda_config``, ``dda_ckpt``, ``seg_config``, ``seg_ckpt`` and
        the toy roots.
    """
    from _tiny_models import make_tiny_checkpoints
    return make_tiny_checkpoints(tmp_path_factory.mktemp('tiny_models'))


@pytest.fixture(scope='session')
def val_images(tiny_checkpoints):
    """The toy Cityscapes val images of ``tiny_checkpoints``, sorted."""
    import glob
    import os.path as osp
    return sorted(glob.glob(osp.join(tiny_checkpoints['cityscapes'],
                                     'leftImg8bit', 'val', '*', '*.png')))


def pytest_collection_finish(session):
    """Move the objects of the imports (torch, mmseg, ...) out of the
    garbage collector's reach.

    MMEngine's datasets call ``gc.collect()`` when they serialise their data
    list, once per dataset a Runner builds; a full collection over the
    suite's heap of imported modules costs a quarter of a second each time.
    Frozen objects are only skipped by the collector, never freed early.
    """
    import gc
    gc.collect()
    gc.freeze()
