"""Fixtures of the robustness tests."""
import pytest
from robustness_helpers import write_tiny_dda_config


@pytest.fixture()
def tiny_dda_config(tmp_path, toy_data_root):
    """Path of a tiny DDA config on the session's toy data."""
    return write_tiny_dda_config(tmp_path, toy_data_root)
