"""Row helpers of the preflight tests."""


def rows(report, group=None, status=None):
    """The rows of ``report`` of one group and/or status."""
    return [c for c in report.checks
            if (group is None or c.group == group)
            and (status is None or c.status == status)]


def only_failure(report):
    """The one blocking row of ``report`` (asserts there is exactly one)."""
    fails = report.failures
    assert len(fails) == 1, report.table()
    return fails[0]
