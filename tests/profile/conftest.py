import pytest

from tests.profile.test_pipeline import make_tiny_province


@pytest.fixture
def tiny_province(tmp_path):
    return make_tiny_province(tmp_path)
