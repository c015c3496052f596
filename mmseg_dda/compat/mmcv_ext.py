"""mmcv-lite: a stub ``mmcv._ext`` so that ``import mmseg.models`` works.

**Upstream problem.** mmseg 1.2.2 imports ``mmcv.ops`` at module level
(``mmseg/models/decode_heads/*``, ``mmseg/models/utils``), which needs the
compiled ``mmcv._ext``; mmcv-lite (2.1.0, the CPU stack this project is
verified on) ships no compiled ops, so the import fails although this
project uses no compiled op.

**Fix.** When no real extension can be found, a stub module with a
loader-less spec is registered: ``import mmseg.models`` succeeds and
MMEngine's "is full mmcv installed" probe answers *no*. A compiled op
looked up on the stub raises ``NotImplementedError`` when called. With full
mmcv installed nothing is changed (the stub is not installed).

**Needed by.** mmcv-lite (any 2.x) with mmseg 1.x. **Can go** when mmseg
imports ``mmcv.ops`` lazily: then ``python -c "import mmseg.models"`` works
in a fresh interpreter with mmcv-lite and without this module.
"""
import importlib.machinery
import importlib.util
import sys
import types


def install_mmcv_ext_stub() -> bool:
    """Register a stub ``mmcv._ext`` when the compiled extension is absent.

    Returns:
        bool: True if the stub was installed, False if a real extension
        exists (or a stub was already installed).
    """
    if 'mmcv._ext' in sys.modules:
        return False
    try:
        if importlib.util.find_spec('mmcv._ext') is not None:
            return False
    except (ImportError, ValueError):
        pass

    stub = types.ModuleType('mmcv._ext')
    # A spec without loader: MMEngine's probe then reports "no full mmcv".
    stub.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)

    def _missing(name):
        raise NotImplementedError(
            f'mmcv._ext.{name} is a compiled mmcv op, but only mmcv-lite is '
            'installed. Install full mmcv (with ops) to use it.')

    def __getattr__(name):  # noqa: N807 - module-level attribute hook
        if name.startswith('__'):
            raise AttributeError(name)

        def op(*args, **kwargs):
            _missing(name)

        return op

    stub.__getattr__ = __getattr__
    sys.modules['mmcv._ext'] = stub
    return True
