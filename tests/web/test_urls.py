"""Ids in URLs: numbers no row can have are a 404, on every database, never an error."""

import pytest

HUGE = "9" * 30


@pytest.mark.parametrize(
    "path",
    [
        f"/en/search/opened/{HUGE}/1/deposits-withdrawals/withdrawal-times/",
        f"/en/search/opened/1/{HUGE}/deposits-withdrawals/withdrawal-times/",
        "/en/search/opened/0/1/deposits-withdrawals/withdrawal-times/",
        f"/staff/tickets/HC-00000000-0/files/{HUGE}",
    ],
)
def test_out_of_range_ids_are_not_found(app, client, path):
    assert client.get(path).status_code == 404
