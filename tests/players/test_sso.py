"""Single sign-on from the casino: real tokens signed with real keys, checked by the real app."""

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import csrf_token, empty_tables, make_app
from tests.players.conftest import AUDIENCE, ISSUER, SECRET, _app, claims, hs256, player_of

# HTTP contracts, pages and input checks: the database does not change them: once
# (tests/conftest.py).
pytestmark = pytest.mark.one_database


def refused(response, client, status=401):
    assert response.status_code == status
    assert "You could not be signed in" in response.get_data(as_text=True)
    assert player_of(client) is None


def test_a_token_signed_with_the_secret_signs_the_player_in(client):
    response = client.get(f"/en/sso?jwt={hs256()}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/"
    assert player_of(client) == {
        "player_id": "P-100234",
        "email": "leyla@example.com",
        "name": "Leyla Məmmədova",
        "lang": "az",
        "vip": "gold",
    }


def test_a_posted_token_signs_in_and_goes_to_a_safe_next_page(client):
    response = client.post("/ru/sso", data={"jwt": hs256(vip="diamond"), "next": "/ru/contact"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/ru/contact"
    assert player_of(client)["vip"] is None  # not a level in support.yml


def test_next_to_another_site_is_ignored(client):
    response = client.get("/en/sso", query_string={"jwt": hs256(), "next": "//evil.example/"})
    assert response.headers["Location"] == "/en/"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            lambda: hs256(key="another-secret-of-at-least-32-characters!"), id="wrong key"
        ),
        pytest.param(lambda: hs256(aud="another-app"), id="wrong audience"),
        pytest.param(lambda: hs256(iss="https://evil.example"), id="wrong issuer"),
        pytest.param(lambda: hs256(jti=None), id="no jti"),
        pytest.param(lambda: hs256(email=None), id="no email"),
        pytest.param(lambda: hs256(sub=None), id="no player id"),
        pytest.param(lambda: hs256(sub="P 100/234"), id="player id not as the form takes it"),
        pytest.param(
            lambda: hs256(iat=int(time.time()) - 10, exp=int(time.time()) + 300),
            id="exp more than 5 minutes after iat",
        ),
        pytest.param(lambda: "not.a.token", id="garbage"),
    ],
)
def test_a_bad_token_is_refused_without_a_session(client, token):
    refused(client.get(f"/en/sso?jwt={token()}"), client)


def test_an_expired_token_is_refused(client):
    now = int(time.time())
    response = client.get(f"/en/sso?jwt={hs256(iat=now - 200, exp=now - 60)}")
    refused(response, client)
    assert "expired" in response.get_data(as_text=True)


def test_a_token_signs_in_once(sso_app, client):
    token = hs256()
    assert client.get(f"/en/sso?jwt={token}").status_code == 303
    # Another browser (another host on the same database) with the same token.
    other = sso_app.test_client()
    response = other.get(f"/en/sso?jwt={token}")
    refused(response, other)
    assert "already been used" in response.get_data(as_text=True)


def _unsigned(payload: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def test_an_unsigned_token_alg_none_is_refused(client):
    refused(client.get(f"/en/sso?jwt={_unsigned(claims())}"), client)
    refused(client.post("/en/sso", data={"jwt": _unsigned(claims())}), client)


def test_no_token_is_a_bad_request(client):
    refused(client.get("/en/sso"), client, status=400)


def test_rs256_and_es256_tokens_are_checked_against_the_jwks_file(client, rsa_key, ec_key):
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    assert client.get(f"/en/sso?jwt={token}").status_code == 303
    assert player_of(client)["player_id"] == "P-100234"

    other = client.application.test_client()
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert other.get(f"/en/sso?jwt={token}").status_code == 303


def test_a_key_not_in_the_jwks_is_refused(client):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "rsa-1"})
    refused(client.get(f"/en/sso?jwt={token}"), client)
    token = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "unknown"})
    refused(client.get(f"/en/sso?jwt={token}"), client)


def test_each_source_checks_only_its_own_algorithms(migrated_url, tmp_path, rsa_key, jwks_file):
    only_keys = _app(migrated_url, tmp_path, SSO_JWKS=str(jwks_file))
    try:
        client = only_keys.test_client()
        # An HS256 token (with the public key's JWK text as the secret, or any) is no key token.
        refused(client.get(f"/en/sso?jwt={hs256()}"), client)
        token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
        assert client.get(f"/en/sso?jwt={token}").status_code == 303
    finally:
        empty_tables(only_keys)


def test_without_sso_configured_the_page_does_not_exist(migrated_url, tmp_path):
    app = make_app(migrated_url, tmp_path / "data")
    try:
        client = app.test_client()
        assert client.get(f"/en/sso?jwt={hs256()}").status_code == 404
        assert player_of(client) is None
    finally:
        empty_tables(app)


def test_signing_out_ends_the_player_session(client):
    client.get(f"/en/sso?jwt={hs256()}")
    page = client.get("/en/contact").get_data(as_text=True)
    response = client.post("/en/sso/sign-out", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert player_of(client) is None


@pytest.mark.parametrize(
    "config",
    [
        {"SSO_SECRET": SECRET, "SSO_ISSUER": ISSUER},
        {"SSO_JWKS": "/keys.json", "SSO_AUDIENCE": AUDIENCE},
        {"SSO_SECRET": "short", "SSO_ISSUER": ISSUER, "SSO_AUDIENCE": AUDIENCE},
    ],
)
def test_an_incomplete_or_weak_configuration_stops_the_start(tmp_path, config):
    with pytest.raises(ValueError, match="SSO"):
        make_app("sqlite://", tmp_path / "data", **config)
