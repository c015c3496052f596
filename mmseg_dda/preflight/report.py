"""The preflight table: one row per check, its verdict and the fix.

Each check group of :mod:`mmseg_dda.preflight` returns :class:`Check` rows;
:class:`Report` prints them as one table and decides the exit status
(docs/preflight.md).
"""
import textwrap
from dataclasses import dataclass, field
from typing import List

OK, FAIL, WARN, INFO = '✓', '✗', '!', '·'


class PreflightError(RuntimeError):
    """A blocking preflight check failed (the message lists every one)."""


@dataclass
class Check:
    """One row of the preflight table.

    Args:
        group: Check group (``data``, ``formats``, ``density``,
            ``weights``, ``run``, ``device``, ``time``).
        name: What was checked, e.g. ``'SYNTHIA (train source)'``.
        status: :data:`OK`, :data:`FAIL` (blocking), :data:`WARN`
            (non-blocking) or :data:`INFO` (a fact, e.g. a time estimate).
        detail: What was found (may hold several lines).
        fix: The command or change that fixes a failure or warning.
    """
    group: str
    name: str
    status: str
    detail: str = ''
    fix: str = ''

    @property
    def blocking(self) -> bool:
        """True for a failed check that stops training."""
        return self.status == FAIL


def fail_from(group: str, name: str, err: BaseException,
              fix: str = '') -> Check:
    """A failed row from an exception raised by a validator.

    The validators' messages already name the file, the problem and often
    the command that fixes it; the part after ``Expected layout:`` or
    ``The source density maps are written by`` is moved to ``fix`` unless a
    fix is given.
    """
    text = str(err).strip() or type(err).__name__
    detail, hint = text, ''
    for marker in ('\nExpected layout:', '\nThe source density maps are '
                   'written by STEP 1: '):
        if marker in text:
            detail, hint = text.split(marker, 1)
            hint = (marker.strip() + '\n' + hint) if 'layout' in marker \
                else hint
            break
    return Check(group, name, FAIL, detail, fix or hint)


@dataclass
class Report:
    """All rows of one preflight run.

    Args:
        checks: The rows, in check order.
        seconds: Wall time of the checks.
        title: First line of the table (config and mode).
    """
    checks: List[Check] = field(default_factory=list)
    seconds: float = 0.0
    title: str = ''

    def add(self, rows) -> None:
        self.checks.extend(rows)

    @property
    def failures(self) -> List[Check]:
        return [c for c in self.checks if c.blocking]

    @property
    def ok(self) -> bool:
        """True when no blocking check failed."""
        return not self.failures

    def table(self, width: int = 120) -> str:
        """The table as text: ``status  group  check  result`` and, under a
        failure or warning, its fix."""
        name_w = min(36, max([len(c.name) for c in self.checks] + [5]))
        lines = [self.title] if self.title else []
        indent = ' ' * (2 + 9 + name_w + 2)
        for c in self.checks:
            detail = c.detail.splitlines() or ['']
            head = f'{c.status} {c.group:<8} {c.name:<{name_w}}  '
            body = [ln for d in detail if d.strip() for ln in (textwrap.wrap(
                d, max(40, width - len(indent)), break_on_hyphens=False,
                break_long_words=False) or [''])] or ['']
            lines.append(head + body[0])
            lines += [indent + ln for ln in body[1:]]
            if c.fix and c.status in (FAIL, WARN):
                fix = [ln for ln in textwrap.dedent(c.fix).splitlines()
                       if ln.strip()]
                for i, ln in enumerate(fix):
                    lines.append(indent + ('fix: ' if i == 0 else '     ')
                                 + ln)
        n_fail = len(self.failures)
        n_warn = sum(c.status == WARN for c in self.checks)
        verdict = (f'{n_fail} blocking problem(s): training would fail'
                   if n_fail else 'ready to train')
        lines.append(f'preflight: {verdict}; {n_warn} warning(s); '
                     f'{len(self.checks)} checks in {self.seconds:.1f} s')
        return '\n'.join(lines)

    def failure_message(self) -> str:
        """The blocking rows (for :class:`PreflightError`)."""
        out = []
        for c in self.failures:
            out.append(f'✗ {c.group}: {c.name}: {c.detail}')
            if c.fix:
                out.append('  fix: ' + c.fix.replace('\n', '\n       '))
        return '\n'.join(out)

    def raise_if_failed(self) -> None:
        """Raise :class:`PreflightError` when a blocking check failed."""
        if not self.ok:
            raise PreflightError(
                'preflight found blocking problems (tools/preflight.py '
                'CONFIG shows the full table; --no-preflight skips it):\n'
                + self.failure_message())
