import pytest

from tests.reports.conftest import World, build_world


@pytest.fixture
def world(cast) -> World:
    """The reports' hand-counted district (tests/reports/conftest.py), first quarter 2026."""
    return build_world(cast)
