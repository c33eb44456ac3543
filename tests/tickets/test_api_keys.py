"""`helpcenter api-key ...`: keys for integrations, and which of them may vouch for players."""

import logging

import pytest

from helpcenter.tickets import services


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def create(runner, *args):
    result = runner.invoke(args=["api-key", "create", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_a_key_may_vouch_only_when_created_so(ctx, runner):
    ordinary = create(runner, "--name", "telegram-bot")
    casino = create(runner, "--name", "back-office", "--vouch")
    assert services.authenticate(ordinary).can_vouch is False
    assert services.authenticate(casino).can_vouch is True


def test_vouching_is_allowed_and_withdrawn_and_logged(ctx, runner, caplog):
    key = create(runner, "--name", "back-office")
    caplog.set_level(logging.INFO, logger="helpcenter.tickets.services")
    allowed = runner.invoke(args=["api-key", "allow-vouching", "back-office"])
    assert allowed.exit_code == 0 and allowed.output == "back-office may vouch\n"
    assert services.authenticate(key).can_vouch is True
    again = runner.invoke(args=["api-key", "allow-vouching", "back-office"])
    assert again.output == "back-office may vouch (unchanged)\n"
    forbidden = runner.invoke(args=["api-key", "forbid-vouching", "back-office"])
    assert forbidden.exit_code == 0 and forbidden.output == "back-office may not vouch\n"
    assert services.authenticate(key).can_vouch is False
    assert [r.getMessage() for r in caplog.records] == [
        "API key back-office may vouch now",
        "API key back-office may no longer vouch",
    ]


@pytest.mark.parametrize("command", ["allow-vouching", "forbid-vouching", "revoke"])
def test_an_unknown_or_revoked_key_is_a_clear_error(ctx, runner, command):
    create(runner, "--name", "old-bot")
    runner.invoke(args=["api-key", "revoke", "old-bot"])
    for name in ("nobody", "old-bot"):
        result = runner.invoke(args=["api-key", command, name])
        assert result.exit_code == 2
        assert f"no active key named '{name}'" in result.output


def test_the_list_shows_names_vouching_and_revocation(ctx, runner):
    assert runner.invoke(args=["api-key", "list"]).output == ""
    create(runner, "--name", "telegram-bot")
    create(runner, "--name", "back-office", "--vouch")
    create(runner, "--name", "old-bot")
    runner.invoke(args=["api-key", "revoke", "old-bot"])
    result = runner.invoke(args=["api-key", "list"])
    assert result.exit_code == 0
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert [line[:2] for line in lines] == [
        ["back-office", "may vouch"],
        ["old-bot", "-"],
        ["telegram-bot", "-"],
    ]
    assert [line[2].split(" ")[0] for line in lines] == ["active", "revoked", "active"]
    assert "hc_" not in result.output  # never a key
