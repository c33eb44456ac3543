"""Editors' fixtures: the shipped content loaded, staff accounts, and a form poster."""

import html
import re

import pytest

from tests.staff.conftest import StaffActions, accounts, csrf_of  # noqa: F401 (fixtures)

ARTICLE = "withdrawal-times"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_values(page: str) -> dict:
    """The article form's current values as the page shows them."""
    values = {"csrf_token": csrf_of(page)}
    for name in ("base", "source"):
        found = re.search(rf'name="{name}" type="hidden" value="(\d*)"', page)
        values[name] = found.group(1) if found else ""
    for name in ("title", "summary", "tags"):
        found = re.search(
            rf'id="{name}"[^>]* name="{name}"[^>]*value="([^"]*)"', page
        ) or re.search(rf'name="{name}"[^>]* value="([^"]*)"', page)
        values[name] = html.unescape(found.group(1)) if found else ""
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\n?(.*?)</textarea>', page, re.S)
    values["body"] = html.unescape(body.group(1)) if body else ""
    return values


class Editor(StaffActions):
    def open(self, path: str) -> dict:
        response = self.client.get(path)
        assert response.status_code == 200, path
        return form_values(response.get_data(as_text=True))

    def save(self, path: str, **changes):
        """Open the form at `path`, change some fields, post it."""
        values = {**self.open(path), "action": "save", **changes}
        return self.client.post(path, data=values)


@pytest.fixture
def editor(loaded, client, accounts):  # noqa: F811
    staff = Editor(client)
    staff.login("editor")
    return staff
