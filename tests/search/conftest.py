"""Search fixtures: the shipped content loaded and indexed in a fresh data directory."""

import pytest

from helpcenter.search import index


@pytest.fixture
def indexed(loaded):
    with loaded.app_context():
        index.rebuild()
    return loaded
