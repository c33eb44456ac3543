"""Fixtures of the tickets' tests."""

import pytest

from helpcenter.extensions import db
from tests.conftest import empty_tables
from tests.tickets.test_storage import Hosts


@pytest.fixture(params=["database", "directory"])
def hosts(request, migrated_url, tmp_path):
    """Web hosts over one database, in each file storage."""
    hosts = Hosts(migrated_url, tmp_path, request.param)
    yield hosts
    if hosts.apps:
        empty_tables(hosts.apps[0])
    for app in hosts.apps[1:]:
        with app.app_context():
            db.engine.dispose()
