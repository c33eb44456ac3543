"""Players signed in from the casino: keys, the app with sign-on on, and signed tokens."""

import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.chat.conftest import operator  # noqa: F401 (an operator available for chats)
from tests.conftest import empty_tables, make_app

SECRET = "casino-and-help-center-shared-secret-0123456789"
ISSUER = "https://casino.example"
AUDIENCE = "helpcenter"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwks_file(tmp_path, rsa_key, ec_key):
    rsa_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    ec_jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    path = tmp_path / "casino-jwks.json"
    keys = [{**rsa_jwk, "kid": "rsa-1", "use": "sig"}, {**ec_jwk, "kid": "ec-1", "use": "sig"}]
    path.write_text(json.dumps({"keys": keys}))
    return path


def _app(migrated_url, tmp_path, **config):
    settings = {"SSO_ISSUER": ISSUER, "SSO_AUDIENCE": AUDIENCE, **config}
    return make_app(migrated_url, tmp_path / "data", **settings)


@pytest.fixture
def app(migrated_url, tmp_path, jwks_file):
    """The app with sign-on from the casino on (a shared secret and a JWKS file)."""
    app = _app(migrated_url, tmp_path, SSO_SECRET=SECRET, SSO_JWKS=str(jwks_file))
    yield app
    empty_tables(app)


@pytest.fixture
def sso_app(app):
    return app


def claims(**changes):
    now = int(time.time())
    values = {
        "sub": "P-100234",
        "email": "leyla@example.com",
        "name": "Leyla Məmmədova",
        "lang": "az",
        "vip": "gold",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def hs256(key=SECRET, **changes):
    return jwt.encode(claims(**changes), key, algorithm="HS256")


def player_of(client):
    with client.session_transaction() as session:
        return session.get("player")


def sign_in(client, lang="en", **changes):
    """Sign `client` in as the player of `claims(**changes)`."""
    response = client.get(f"/{lang}/sso", query_string={"jwt": hs256(**changes)})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response
