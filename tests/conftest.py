"""Shared pytest fixtures."""
import pytest


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
    import mmseg_dda  # noqa: F401  (compat shims before mmseg)
    from mmseg_dda.datasets.toy import generate_toy_dataset
    root = tmp_path_factory.mktemp('toy_data')
    roots = generate_toy_dataset(
        str(root), num_source=6, num_target=4, num_val=3, size=(128, 76),
        seed=0, with_train_labels=True)
    return dict(root=str(root), **roots)
