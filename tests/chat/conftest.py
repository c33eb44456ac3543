"""Fixtures of the live chat's tests."""

import pytest

from helpcenter.chat import services
from helpcenter.staff import services as staff


@pytest.fixture
def operator(loaded):
    """An operator available for chats now: the chat is open."""
    with loaded.test_request_context():
        aysel = staff.create_staff(
            email="aysel@casino.example", role="operator", password="pw-" * 4, name="Aysel"
        )
        services.set_presence(member=aysel, status="available")
        return aysel.id
