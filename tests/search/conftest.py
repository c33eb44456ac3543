"""Search fixtures: the shipped content loaded and indexed in a fresh data directory."""

import pytest


@pytest.fixture
def indexed(loaded):
    """The shipped content with its search index, both copied from the run's snapshot."""
    return loaded
