"""The test suite itself: shared helpers instead of cross-imports, one
definition per fixture name, no assertion that compares a thing with
itself."""
import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _modules():
    return sorted(p for p in TESTS.rglob('*.py') if 'data' not in
                  p.relative_to(TESTS).parts[:1])


def _trees():
    return {p.relative_to(TESTS).as_posix(): ast.parse(p.read_text())
            for p in _modules()}


def _is_fixture(node) -> bool:
    return any('fixture' in ast.unparse(d) for d in node.decorator_list)


def test_no_test_module_imports_another():
    found = []
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                mods = [node.module or '']
            else:
                continue
            found += [(name, m) for m in mods
                      if m.split('.')[-1].startswith('test_')
                      and not m.startswith('mmseg_dda')]
    assert found == []


def test_each_fixture_name_is_defined_once():
    defined = defaultdict(list)
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and _is_fixture(node):
                defined[node.name].append(name)
    assert {k: v for k, v in defined.items() if len(v) > 1} == {}


def _self_comparisons(tree):
    """Assertions whose two sides are the same expression (``x == x``,
    ``x / x == 1``, ``assert_array_equal(x, x)``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            left, right = node.left, node.comparators[0]
            if ast.dump(left) == ast.dump(right):
                found.append(ast.unparse(node))
            elif isinstance(left, ast.BinOp) and isinstance(
                    left.op, ast.Div) and ast.dump(left.left) == ast.dump(
                        left.right):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Call) and len(node.args) >= 2 and \
                ast.unparse(node.func).split('.')[-1].startswith(
                    ('assert', 'allclose', 'equal', 'array_equal')) and \
                ast.dump(node.args[0]) == ast.dump(node.args[1]):
            found.append(ast.unparse(node))
    return found


def test_the_self_comparison_scan_finds_one():
    tree = ast.parse('assert a.b == a.b\nassert x / x == 1.0\n'
                     'np.testing.assert_array_equal(y, y)\nassert a == b\n')
    assert len(_self_comparisons(tree)) == 3


def test_no_assertion_compares_a_thing_with_itself():
    found = {name: _self_comparisons(tree)
             for name, tree in _trees().items()}
    assert {k: v for k, v in found.items() if v} == {}
