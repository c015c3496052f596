"""The documentation is self-contained: every reference resolves in the repo.

Docstrings, comments and docs cite ``docs/method.md §N.M`` (quirks of the
reference as ``§13.N``). These tests fail when a file points outside the
repository, or cites a section that ``docs/method.md`` does not have.
"""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
METHOD_DOC = ROOT / 'docs' / 'method.md'
DATA_DIR = ROOT / 'tests' / 'data'
# Notes that exist only outside the repository (unless a file of that name
# is added); built from parts so that this file does not match itself.
OUTSIDE_REFS = tuple(name + '.md' for name in ('METHOD', 'ENVIRONMENT',
                                               'STYLE')) + ('..' + '/shared', )
SECTION_REF = re.compile('\u00a7' + r'(\d+(?:\.\d+)?)')
BARE_QUIRK = re.compile(r'\bquirk (\d+)', re.IGNORECASE)
HEADING = re.compile(r'^(?:## (\d+)\.|### (\d+\.\d+)) ', re.MULTILINE)
# Folders that hold no project files (local environments and outputs).
_SKIP_DIRS = {'.git', '.venv', 'work_dirs', 'data', 'demo_output', 'build',
              'dist', '__pycache__', '.pytest_cache'}


def _project_files():
    """Tracked files, or every project file when git is unavailable."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT,
                             capture_output=True, check=True).stdout
        paths = [ROOT / p for p in out.decode().split('\0') if p]
        if paths:
            return [p for p in paths if p.is_file()]
    except (OSError, subprocess.CalledProcessError):
        pass
    return [
        p for p in ROOT.rglob('*') if p.is_file() and not any(
            part in _SKIP_DIRS or part.endswith('.egg-info')
            for part in p.relative_to(ROOT).parts[:-1])
    ]


def _text_files():
    """``(relative path, text)`` of every UTF-8 text file of the project."""
    for path in _project_files():
        data = path.read_bytes()
        if b'\0' in data:
            continue
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            continue
        yield path.relative_to(ROOT).as_posix(), text


def _method_sections():
    return {a or b for a, b in HEADING.findall(METHOD_DOC.read_text())}


def test_method_doc_sections_are_unique_and_numbered():
    text = METHOD_DOC.read_text()
    numbers = [a or b for a, b in HEADING.findall(text)]
    assert len(numbers) == len(set(numbers)), 'duplicate section numbers'
    tops = [n for n in numbers if '.' not in n]
    assert tops == [str(i) for i in range(1, len(tops) + 1)]
    # The quirk list is §13.1 ... §13.N without gaps.
    quirks = sorted(int(n.split('.')[1]) for n in numbers
                    if n.startswith('13.'))
    assert quirks == list(range(1, len(quirks) + 1)) and len(quirks) >= 27


def test_no_reference_outside_the_repository():
    in_repo = {path.name for path in _project_files()}
    outside = [ref for ref in OUTSIDE_REFS if ref not in in_repo]
    offenders = []
    for rel, text in _text_files():
        if rel == 'docs/method.md':
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            if any(ref in line for ref in outside):
                offenders.append(f'{rel}:{lineno}: {line.strip()}')
    assert not offenders, (
        'cite docs/method.md instead of files outside the repository:\n' +
        '\n'.join(offenders))


def test_every_section_reference_resolves():
    sections = _method_sections()
    assert {'3.4', '13.27'} <= sections
    broken = []
    for rel, text in _text_files():
        for lineno, line in enumerate(text.splitlines(), 1):
            for ref in SECTION_REF.findall(line):
                if ref not in sections:
                    broken.append(f'{rel}:{lineno}: \u00a7{ref}')
    assert not broken, ('sections missing from docs/method.md:\n' +
                        '\n'.join(broken))


def test_quirks_are_cited_by_section():
    bare = [
        f'{rel}:{lineno}: {line.strip()}' for rel, text in _text_files()
        if rel != 'tests/test_docs.py'
        for lineno, line in enumerate(text.splitlines(), 1)
        if BARE_QUIRK.search(line)
    ]
    assert not bare, ('cite quirk N as docs/method.md \u00a713.N:\n' +
                      '\n'.join(bare))


def test_method_doc_paths_exist():
    # Backticked repository paths, up to a brace, colon or space.
    path_ref = re.compile(
        r'`((?:mmseg_dda|tools|configs|tests|bench|docs)/[\w/.\-]*)')
    missing = sorted({
        ref for ref in path_ref.findall(METHOD_DOC.read_text())
        if not (ROOT / ref).exists()
    })
    assert not missing, f'docs/method.md names missing paths: {missing}'


def test_every_fixture_is_documented():
    readme = (DATA_DIR / 'README.md').read_text()
    files = [p for p in DATA_DIR.rglob('*') if p.is_file()
             and p.name != 'README.md']
    assert files
    undocumented = [
        p.relative_to(DATA_DIR).as_posix() for p in files
        if f'`{p.relative_to(DATA_DIR).as_posix()}`' not in readme
    ]
    assert not undocumented, (
        'describe source and licence in tests/data/README.md: '
        f'{undocumented}')


@pytest.mark.parametrize('ref, ok', [('see \u00a73.4 and \u00a713.27.', True),
                                     ('\u00a72-\u00a75', True),
                                     ('\u00a73.9', False), ('\u00a714', False)])
def test_section_pattern(ref, ok):
    sections = _method_sections()
    found = SECTION_REF.findall(ref)
    assert found and all(f in sections for f in found) is ok
