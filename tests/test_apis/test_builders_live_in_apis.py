"""Config-driven builders live in ``apis/``.

The lower packages (``density/``, ``utils/``, ``demo/``, the
dataset file formats) build nothing from MMSeg's registries and never import
the package from inside a function to do so (docs/DESIGN.md).
"""
import ast
from pathlib import Path

import mmseg_dda

PKG = Path(mmseg_dda.__file__).resolve().parent
LOWER = ('density', 'utils', 'demo', 'datasets/formats')


def _lower_modules():
    return sorted(p for folder in LOWER if (PKG / folder).is_dir()
                  for p in (PKG / folder).rglob('*.py'))


def _offences(path):
    """Registry builds and in-function package imports of one module."""
    found = []
    for func in ast.walk(ast.parse(path.read_text())):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import) and any(
                    a.name.split('.')[0] == 'mmseg_dda' for a in node.names):
                found.append(f'{func.name}: import mmseg_dda')
            elif isinstance(node, ast.Call) and isinstance(
                    node.func, ast.Attribute) and node.func.attr == 'build' \
                    and isinstance(node.func.value, ast.Name) and \
                    node.func.value.id.isupper():
                found.append(f'{func.name}: {node.func.value.id}.build')
    return found


def test_the_scan_finds_a_registry_build(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('def f(cfg):\n    import mmseg_dda\n'
                   '    return MODELS.build(cfg)\n')
    assert _offences(bad) == ['f: import mmseg_dda', 'f: MODELS.build']


def test_lower_packages_build_nothing_from_the_registry():
    modules = _lower_modules()
    assert len(modules) > 10
    offences = {
        path.relative_to(PKG).as_posix(): _offences(path)
        for path in modules
    }
    assert {k: v for k, v in offences.items() if v} == {}
