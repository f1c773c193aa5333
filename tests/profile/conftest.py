import pytest

from tests.profile._tiny import make_tiny_province


@pytest.fixture
def tiny_province(tmp_path):
    """Three subscribers, a few calls, SMS and sessions (see tests/profile/_tiny.py)."""
    return make_tiny_province(tmp_path)
