"""Staff accounts for every role and a signed-in client per role (flaskr's AuthActions)."""

import re

import pytest

from helpcenter.staff import access
from helpcenter.staff import services as staff
from tests.conftest import csrf_token as csrf_of
from tests.contact.conftest import file_ticket

PASSWORD = "correct horse battery staple"
EMAILS = {role: f"{role}@casino.example" for role in access.ROLES}
NAMES = {
    "operator": "Aysel",
    "supervisor": "Rəşad",
    "investigator": "Nigar",
    "editor": "Elvin",
    "admin": "Admin",
}


@pytest.fixture
def accounts(app):
    """One account per role."""
    with app.app_context():
        for role in access.ROLES:
            staff.create_staff(email=EMAILS[role], role=role, password=PASSWORD, name=NAMES[role])
    return EMAILS


class StaffActions:
    """Sign in and act in the console as a role, through the real pages."""

    def __init__(self, client, lang: str = "en"):
        self.client = client
        client.set_cookie("lang", lang)

    def login(self, role: str, password: str = PASSWORD):
        token = csrf_of(self.client.get("/staff/login").get_data(as_text=True))
        return self.client.post(
            "/staff/login",
            data={"csrf_token": token, "email": EMAILS[role], "password": password},
        )

    def act(self, ref: str, action: str, htmx=False, **fields):
        """Post an action from the ticket page as it is now (its token and version)."""
        page = self.client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
        prefix = f"{action}-"  # every action's form is prefixed with its name
        # Any form's version will do: an action the page does not offer is posted all the same.
        version = re.search(r'name="[\w-]*version" value="(\d+)"', page).group(1)
        data = {f"{prefix}csrf_token": csrf_of(page), f"{prefix}version": version}
        data.update({f"{prefix}{name}": value for name, value in fields.items()})
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(f"/staff/tickets/{ref}/{action}", data=data, headers=headers)


@pytest.fixture
def console(client, accounts):
    return StaffActions(client)


def new_ticket(app, now=None, **changes) -> str:
    """File a ticket through the domain; its reference."""
    with app.app_context():
        return file_ticket(now=now, **changes).ticket.reference
