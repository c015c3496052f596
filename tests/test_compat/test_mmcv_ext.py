"""Tests of :mod:`mmseg_dda.compat.mmcv_ext` (mmcv-lite)."""
import sys

import pytest

import mmseg_dda  # noqa: F401
from mmseg_dda import compat


def test_mmseg_models_import_with_mmcv_lite():
    import mmseg.models  # noqa: F401
    from mmengine.utils.dl_utils import mmcv_full_available

    ext = sys.modules['mmcv._ext']
    if ext.__spec__ is not None and ext.__spec__.loader is None:
        # The stub: MMEngine must not take it for full mmcv.
        assert not mmcv_full_available()
        with pytest.raises(NotImplementedError, match='mmcv-lite'):
            ext.nms_forward()


def test_stub_not_installed_twice():
    assert compat.install_mmcv_ext_stub() is False
