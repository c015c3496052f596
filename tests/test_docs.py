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


# --- Links between the docs, and the module list of docs/DESIGN.md ---------

DESIGN_DOC = ROOT / 'docs' / 'DESIGN.md'
PACKAGE = ROOT / 'mmseg_dda'
# Markdown link or image target: [text](target) / ![alt](target).
MD_LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
MD_HEADING = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$')
FENCE = re.compile(r'^\s*(```|~~~)')
INLINE_CODE = re.compile(r'`[^`]*`')
# Backticked package paths in DESIGN.md: `mmseg_dda/...` (globs allowed).
DESIGN_PATH = re.compile(r'`(mmseg_dda/[\w/.*\-]+)`')
# Words that tell the history of the work instead of the product.
HISTORY_WORDS = re.compile(r'session|this round|previous round', re.IGNORECASE)
HISTORY_PATHS = ('README.md', 'docs', 'configs', 'mmseg_dda', 'tools', 'bench')


def _markdown_lines(text):
    """``(lineno, line)`` of the lines outside fenced code blocks."""
    in_fence = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield lineno, line


def heading_anchor(heading):
    """GitHub's anchor of a Markdown heading (without the ``-N`` suffix)."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # links -> text
    text = re.sub(r'[^\w\- ]', '', text.strip().lower())
    return text.replace(' ', '-')


def markdown_anchors(text):
    """Every anchor GitHub gives the headings of ``text``."""
    anchors, seen = set(), {}
    for _, line in _markdown_lines(text):
        match = MD_HEADING.match(line)
        if not match:
            continue
        base = heading_anchor(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchors.add(base if count == 0 else f'{base}-{count}')
    return anchors


def broken_links(md_file, root=ROOT):
    """``'file:line: target (why)'`` for each relative link of ``md_file``
    that names no file of the repository, or no heading of it."""
    broken = []
    text = md_file.read_text(encoding='utf-8')
    rel = md_file.relative_to(root).as_posix()
    for lineno, line in _markdown_lines(text):
        for target in MD_LINK.findall(INLINE_CODE.sub('', line)):
            if re.match(r'[a-z][a-z0-9+.\-]*:', target, re.IGNORECASE):
                continue  # http(s):, mailto:, ...
            path_part, _, anchor = target.partition('#')
            dest = (md_file.parent / path_part).resolve() if path_part \
                else md_file.resolve()
            if root.resolve() not in (dest, *dest.parents):
                broken.append(f'{rel}:{lineno}: {target} (outside the '
                              'repository)')
            elif not dest.exists():
                broken.append(f'{rel}:{lineno}: {target} (no such file)')
            elif anchor and dest.suffix == '.md' and anchor not in \
                    markdown_anchors(dest.read_text(encoding='utf-8')):
                broken.append(f'{rel}:{lineno}: {target} (no such heading)')
    return broken


def _linked_docs():
    """README.md, docs/*.md and the other READMEs of the product."""
    files = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md')),
             ROOT / 'bench' / 'README.md',
             *sorted((ROOT / 'configs').rglob('README.md'))]
    return [f for f in files if f.is_file()]


def package_modules(package=PACKAGE):
    """Every module of the package as ``mmseg_dda/.../name.py``, read from
    the tree (``__init__.py`` files excluded: DESIGN.md lists the modules
    that hold code of their own)."""
    return sorted(
        p.relative_to(package.parent).as_posix()
        for p in package.rglob('*.py')
        if p.name != '__init__.py' and '__pycache__' not in p.parts)


def design_module_problems(design_text, package=PACKAGE):
    """``(missing, stale)``: modules of ``package`` that ``design_text`` does
    not list as a backticked path, and listed paths that match no file."""
    listed = set(DESIGN_PATH.findall(design_text))
    missing = [m for m in package_modules(package) if m not in listed]
    stale = sorted(ref for ref in listed
                   if not any(package.parent.glob(ref)))
    return missing, stale


def test_every_relative_link_resolves():
    files = _linked_docs()
    assert ROOT / 'README.md' in files and len(files) > 5
    broken = [b for f in files for b in broken_links(f)]
    assert not broken, 'broken links:\n' + '\n'.join(broken)


# ``docs/demo.md "Results"``: a section named in a docstring or comment.
NAMED_SECTION = re.compile(r'(docs/[\w/]+\.md)\s+"([^"]+)"')


def named_section_problems(files) -> list:
    """``file: doc "section"`` for each named section whose doc has no
    heading starting with that name (``files``: ``(path, text)`` pairs)."""
    problems = []
    for rel, text in files:
        for m in NAMED_SECTION.finditer(text):
            doc = ROOT / m.group(1)
            name = ' '.join(m.group(2).split())
            headings = [line.lstrip('#').strip()
                        for line in (doc.read_text().splitlines()
                                     if doc.is_file() else [])
                        if line.startswith('#')]
            if not any(h.startswith(name) for h in headings):
                problems.append(f'{rel}: {m.group(1)} "{name}"')
    return problems


def test_every_named_doc_section_exists():
    problems = named_section_problems(_text_files())
    assert not problems, 'no such section:\n' + '\n'.join(problems)


def test_named_section_check_finds_a_missing_one():
    doc = 'docs/demo.md'  # apart from the quotes: no match in this file
    assert named_section_problems([('x.py', f'see {doc} "Results"')]) == []
    assert named_section_problems(
        [('x.py', f'see {doc} "No such\n   section"')]) == [
            f'x.py: {doc} "No such section"']


def test_design_doc_lists_every_module():
    missing, stale = design_module_problems(DESIGN_DOC.read_text())
    assert len(package_modules()) > 50
    assert not missing, (
        'add a row for each module to docs/DESIGN.md ("Package layout"):\n' +
        '\n'.join(missing))
    assert not stale, ('docs/DESIGN.md names paths that do not exist:\n' +
                       '\n'.join(stale))


def test_readme_is_a_landing_page():
    text = (ROOT / 'README.md').read_text()
    assert len(text.splitlines()) <= 250
    quick = text.split('## Quick start (two commands on a fresh machine)',
                       1)[1].split('\n## ', 1)[0]
    commands = re.search(r'```bash\n(.*?)```', quick, re.DOTALL).group(1)
    assert [line.split('#')[0].strip() for line in commands.splitlines()
            ] == ['make demo', 'make test']


def test_no_history_wording_in_the_product():
    offenders = [
        f'{rel}:{lineno}: {line.strip()}' for rel, text in _text_files()
        if rel == 'README.md' or rel.startswith(
            tuple(p + '/' for p in HISTORY_PATHS[1:]))
        for lineno, line in enumerate(text.splitlines(), 1)
        if HISTORY_WORDS.search(line)
    ]
    assert not offenders, (
        'say what the product does, not who measured it when:\n' +
        '\n'.join(offenders))


@pytest.mark.parametrize('heading, anchor', [
    ('Two modes', 'two-modes'),
    ("Train step against the reference's call pattern",
     'train-step-against-the-references-call-pattern'),
    ('Ablations (`configs/dda/ablations/`, all on expid 1)',
     'ablations-configsddaablations-all-on-expid-1'),
    ('Interrupted runs (SIGKILL while a file is being written)',
     'interrupted-runs-sigkill-while-a-file-is-being-written'),
    ('See [the guide](docs/x.md) now', 'see-the-guide-now'),
])
def test_heading_anchor(heading, anchor):
    assert heading_anchor(heading) == anchor


def test_broken_links_are_found(tmp_path):
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'a.md').write_text('# A\n\n## Two words\n')
    page = tmp_path / 'README.md'
    page.write_text(
        '# A\n'
        '[ok](docs/a.md) [ok](docs/a.md#two-words) [web](https://x.org/y)\n'
        '[gone](docs/b.md) [bad anchor](docs/a.md#three) [up](../x.md)\n'
        '`[in code](nowhere.md)`\n'
        '```\n[in a fence](nowhere.md)\n```\n'
        '![img](docs/missing.png) [self](#a) [self](#b)\n')
    found = broken_links(page, root=tmp_path)
    assert [f.split(': ', 1)[1] for f in found] == [
        'docs/b.md (no such file)', 'docs/a.md#three (no such heading)',
        '../x.md (outside the repository)', 'docs/missing.png (no such file)',
        '#b (no such heading)'
    ]


def test_design_check_finds_missing_and_stale_modules(tmp_path):
    pkg = tmp_path / 'mmseg_dda'
    (pkg / 'sub').mkdir(parents=True)
    for name in ('__init__.py', 'sub/__init__.py', 'sub/a.py', 'sub/b.py'):
        (pkg / name).write_text('')
    text = '| `mmseg_dda/sub/a.py` | x |\n| `mmseg_dda/sub/gone.py` | y |\n'
    assert design_module_problems(text, pkg) == (['mmseg_dda/sub/b.py'],
                                                 ['mmseg_dda/sub/gone.py'])
    text += '`mmseg_dda/sub/b.py` and `mmseg_dda/sub/*.py`\n'
    assert design_module_problems(text.replace('gone', 'a'), pkg) == ([], [])
