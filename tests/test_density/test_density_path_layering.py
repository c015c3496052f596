"""The density data path points one way and each fact lives in one place.

See docs/DESIGN.md (density data path): ``utils`` <- ``datasets/formats``
(file readers and writers) <- ``density`` (GMM maths, grid) <- ``datasets``
(transforms) <- ``models`` (DDA attaches the targets, the head reads them).
"""
import ast
from pathlib import Path

import mmseg_dda  # noqa: F401
from mmseg_dda import density
from mmseg_dda.datasets import transforms
from mmseg_dda.density import grid

PKG = Path(mmseg_dda.__file__).resolve().parent


def _modules(folder):
    return sorted(p for p in (PKG / folder).rglob('*.py'))


def _imported(path):
    """Absolute names of the package modules imported by ``path``."""
    rel = path.relative_to(PKG.parent).with_suffix('').parts
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel[:len(rel) - node.level])
                names.append('.'.join(base + ([node.module]
                                              if node.module else [])))
            else:
                names.append(node.module)
    return names


def test_density_imports_of_datasets_only_the_file_formats():
    for path in _modules('density'):
        for name in _imported(path):
            if name.startswith('mmseg_dda.datasets.formats'):
                continue
            assert not name.startswith(('mmseg_dda.datasets',
                                        'mmseg_dda.models')), (path, name)


def test_label_reader_imports_nothing_of_the_package():
    for name in _imported(PKG / 'datasets' / 'formats' / 'labels.py'):
        assert not name.startswith('mmseg_dda'), name


def test_one_synthia_depth_decoder():
    """The literal 65536 of ``65536 / (raw + 1)`` is in one file only."""
    found = []
    for path in PKG.rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and \
                    type(node.value) in (int, float) and node.value == 65536:
                found.append(path.relative_to(PKG).as_posix())
    assert sorted(set(found)) == ['datasets/formats/synthia.py']


def test_feature_grid_size_lives_in_density_grid():
    definitions = [
        path.relative_to(PKG).as_posix() for path in PKG.rglob('*.py')
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
        and node.name == 'feature_grid_size'
    ]
    assert definitions == ['density/grid.py']
    # Re-exported where configs, tests and tools import it.
    assert transforms.feature_grid_size is grid.feature_grid_size
    assert density.feature_grid_size is grid.feature_grid_size


def test_dda_calls_no_private_member_of_another_object():
    """DDA talks to the heads through their public (MMSeg-shaped) API."""
    path = PKG / 'models' / 'uda' / 'dda.py'
    private = [
        ast.unparse(node)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr.startswith('_')
        and not node.attr.startswith('__')
        and not (isinstance(node.value, ast.Name)
                 and node.value.id in ('self', 'cls'))
    ]
    assert private == []
