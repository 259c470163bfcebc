"""OpenID Connect sign-on (firstarticle.access.oidc) against a fake provider, with no network.

The fake provider signs real ID tokens with an RSA key made here (joserfc, the JOSE library
Authlib itself now uses), publishes its discovery document and JWKS, and redeems codes only
for the right client secret, redirect URI and PKCE verifier, all through httpx.MockTransport.
"""

from __future__ import annotations

import base64
import secrets
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import Key, OctKey, RSAKey

from firstarticle.access.oidc import OidcClient, OidcError, OidcIdentity, OidcStart

ISSUER = "https://login.idp.test/4f1c2a9e/v2.0"
CLIENT_ID = "firstarticle-web"
# ':' and '%' must survive client_secret_basic, which form-encodes both parts first.
CLIENT_SECRET = "s3cr:et%~value"
REDIRECT_URI = "https://fai.plant.test/auth/oidc/callback"
SUBJECT = "00u1a2b3c4d5e6f7g8h9"
NOW = 1_750_000_000


class FakeProvider:
    """An OpenID provider in memory: discovery, JWKS, authorization and token endpoints."""

    def __init__(self, key: RSAKey) -> None:
        self.published: list[Key] = [key]
        self.signing_key: Key = key
        self.alg = "RS256"
        self.claims: dict[str, Any] = {}  # added to or replacing the usual claims; None drops
        self.discovery: dict[str, Any] = {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize?prompt=select_account",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
        self.discovery_response: httpx.Response | None = None
        self.token_response: Callable[[str], httpx.Response] | None = None
        self.grants: dict[str, dict[str, str]] = {}
        self.hits: Counter[str] = Counter()
        self.client_auth: str | None = None
        self.secrets: list[str] = [CLIENT_SECRET]  # everything that must never leak

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one HTTP request as the provider would."""
        path = request.url.path.removeprefix(httpx.URL(ISSUER).path)
        self.hits[path] += 1
        if path == "/.well-known/openid-configuration" and request.method == "GET":
            return self.discovery_response or httpx.Response(200, json=self.discovery)
        if path == "/keys" and request.method == "GET":
            keys = [k.as_dict(private=False) for k in self.published]
            return httpx.Response(200, json={"keys": keys})
        if path == "/token" and request.method == "POST":
            return self.redeem(request)
        return httpx.Response(404)

    def authorize(self, start: OidcStart) -> str:
        """What the browser's trip to the provider yields: a one-time code for this request."""
        code = secrets.token_urlsafe(24)
        self.grants[code] = dict(httpx.URL(start.authorization_url).params)
        self.secrets += [code, start.code_verifier]
        return code

    def redeem(self, request: httpx.Request) -> httpx.Response:
        """The token endpoint: checks client, code, redirect URI and PKCE, then issues tokens."""
        form = dict(httpx.QueryParams(request.content.decode()))
        if not self.authenticated(request, form):
            return httpx.Response(401, json={"error": "invalid_client"})
        grant = self.grants.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != grant["redirect_uri"]
            or create_s256_code_challenge(form.get("code_verifier", "")) != grant["code_challenge"]
        ):
            return httpx.Response(400, json={"error": "invalid_grant"})
        if self.token_response is not None:
            return self.token_response(form["code"])
        tokens = {
            "access_token": "at." + secrets.token_urlsafe(32),
            "refresh_token": "rt." + secrets.token_urlsafe(32),
            "id_token": self.id_token(grant["nonce"]),
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        self.secrets += [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]
        return httpx.Response(200, json=tokens)

    def authenticated(self, request: httpx.Request, form: dict[str, str]) -> bool:
        """True for the right client id and secret, sent by either method; records which."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            self.client_auth = "client_secret_basic"
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return (unquote(user), unquote(password)) == (CLIENT_ID, CLIENT_SECRET)
        self.client_auth = "client_secret_post"
        return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

    def id_token(self, nonce: str) -> str:
        """An ID token for SUBJECT, signed with ``signing_key``, altered by ``claims``."""
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": SUBJECT,
            "aud": CLIENT_ID,
            "iat": NOW - 5,
            "exp": NOW + 300,
            "nonce": nonce,
            "email": "r.okafor@plant.test",
            "name": "Rita Okafor",
        }
        claims.update(self.claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        header = {"alg": self.alg}
        if self.signing_key.kid:
            header["kid"] = self.signing_key.kid
        return jwt.encode(header, claims, self.signing_key, algorithms=[self.alg])


def rsa_key(kid: str) -> RSAKey:
    """A fresh 2048-bit RSA signing key with the given key id."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@pytest.fixture(scope="module")
def provider_key() -> RSAKey:
    return rsa_key("idp-2025-06")


@pytest.fixture(scope="module")
def stranger_key() -> RSAKey:
    return rsa_key("idp-2025-06")  # same kid as the provider's: only the signature differs


@pytest.fixture
def idp(provider_key: RSAKey) -> FakeProvider:
    return FakeProvider(provider_key)


@pytest.fixture
def client(idp: FakeProvider) -> Iterator[OidcClient]:
    with httpx.Client(transport=httpx.MockTransport(idp.handle)) as http:
        yield OidcClient(
            issuer=ISSUER,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT_URI,
            http_client=http,
            clock=lambda: NOW,
        )


def sign_on(client: OidcClient, idp: FakeProvider, **overrides: str) -> OidcIdentity:
    """The whole round trip: begin, the provider's code, finish (with ``overrides``)."""
    start = client.begin()
    arguments = {
        "code": idp.authorize(start),
        "state": start.state,
        "expected_state": start.state,
        "nonce": start.nonce,
        "code_verifier": start.code_verifier,
    }
    return client.finish(**(arguments | overrides))


def refused(client: OidcClient, idp: FakeProvider, **overrides: str) -> OidcError:
    """The OidcError a sign-on raises; fails the test when it succeeds instead."""
    with pytest.raises(OidcError) as caught:
        sign_on(client, idp, **overrides)
    return caught.value


# --- success ---------------------------------------------------------------------------------


def test_a_valid_code_yields_the_identity(client, idp):
    """Subject, e-mail and name come from the verified ID token, with the issuer."""
    identity = sign_on(client, idp)
    assert (identity.issuer, identity.subject) == (ISSUER, SUBJECT)
    assert identity.email == "r.okafor@plant.test"
    assert identity.name == "Rita Okafor"
    assert identity.claims["aud"] == CLIENT_ID


def test_the_authorization_url_carries_the_client_state_nonce_and_an_s256_challenge(client, idp):
    """client_id, redirect_uri, scope, state, nonce and the PKCE S256 challenge are all there."""
    start = client.begin()
    url = httpx.URL(start.authorization_url)
    params = url.params
    assert str(url.copy_with(query=None)) == f"{ISSUER}/authorize"
    assert params["prompt"] == "select_account"  # the endpoint's own query is kept
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"] == "openid email profile"
    assert params["state"] == start.state
    assert params["nonce"] == start.nonce
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] == create_s256_code_challenge(start.code_verifier)
    assert start.code_verifier not in start.authorization_url


def test_each_start_has_fresh_state_nonce_and_verifier(client):
    """Two sign-ons share none of their one-time values."""
    first, second = client.begin(), client.begin()
    assert first.state != second.state
    assert first.nonce != second.nonce
    assert first.code_verifier != second.code_verifier
    assert 43 <= len(first.code_verifier) <= 128


def test_discovery_and_keys_are_fetched_once_for_many_sign_ons(client, idp):
    """The discovery document and the JWKS are cached between sign-ons."""
    sign_on(client, idp)
    sign_on(client, idp)
    assert idp.hits["/.well-known/openid-configuration"] == 1
    assert idp.hits["/keys"] == 1
    assert idp.hits["/token"] == 2


def test_a_rotated_signing_key_is_picked_up_without_a_restart(client, idp):
    """A token signed with a kid not yet cached makes the client fetch the JWKS again."""
    sign_on(client, idp)
    idp.signing_key = rsa_key("idp-2025-09")
    idp.published.append(idp.signing_key)
    assert sign_on(client, idp).subject == SUBJECT
    assert idp.hits["/keys"] == 2


def test_an_expiry_within_the_leeway_is_accepted(client, idp):
    """A token that expired 30 s ago by our clock passes: clocks drift a little."""
    idp.claims = {"exp": NOW - 30}
    assert sign_on(client, idp).subject == SUBJECT


def test_the_client_secret_goes_in_a_basic_header_by_default(client, idp):
    """client_secret_basic, with both parts form-encoded, is the default method."""
    sign_on(client, idp)
    assert idp.client_auth == "client_secret_basic"


def test_the_client_secret_is_posted_when_the_provider_only_takes_that(client, idp):
    """A provider advertising only client_secret_post gets the secret in the form."""
    idp.discovery["token_endpoint_auth_methods_supported"] = ["client_secret_post"]
    sign_on(client, idp)
    assert idp.client_auth == "client_secret_post"


# --- refusals --------------------------------------------------------------------------------


def test_a_state_mismatch_is_refused_before_the_code_is_redeemed(client, idp):
    """A callback whose state is not the one issued never reaches the token endpoint."""
    error = refused(client, idp, state="forged-" + secrets.token_urlsafe(8))
    assert "state" in str(error)
    assert idp.hits["/token"] == 0


def test_a_token_signed_by_another_key_is_refused(client, idp, stranger_key):
    """A signature by a key the provider does not publish fails, even under its kid."""
    idp.signing_key = stranger_key
    assert "signature" in str(refused(client, idp))


def test_a_token_signed_by_an_unknown_kid_is_refused_after_one_refetch(client, idp):
    """An unknown kid earns one JWKS refetch, then the refusal."""
    idp.signing_key = rsa_key("not-published")
    assert "signature" in str(refused(client, idp))
    assert idp.hits["/keys"] == 2


def test_a_token_signed_with_the_client_secret_is_refused(client, idp):
    """HS256 with the client secret as key is not accepted where RS256 is advertised."""
    idp.signing_key = OctKey.import_key(CLIENT_SECRET.encode() * 4)
    idp.alg = "HS256"
    assert "signature" in str(refused(client, idp))


def test_a_token_for_another_audience_is_refused(client, idp):
    """An ID token issued to another client is refused."""
    idp.claims = {"aud": "some-other-app"}
    assert "aud" in str(refused(client, idp))


def test_a_token_for_several_audiences_without_azp_is_refused(client, idp):
    """With us among several audiences, azp must name us (OIDC Core 3.1.3.7)."""
    idp.claims = {"aud": [CLIENT_ID, "some-other-app"]}
    assert "azp" in str(refused(client, idp))


def test_a_token_from_another_issuer_is_refused(client, idp):
    """An ID token whose iss is not the configured provider is refused."""
    idp.claims = {"iss": "https://login.idp.test/another-tenant/v2.0"}
    assert "iss" in str(refused(client, idp))


def test_an_expired_token_is_refused(client, idp):
    """An ID token expired beyond the leeway is refused."""
    idp.claims = {"exp": NOW - 120, "iat": NOW - 420}
    assert "expired" in str(refused(client, idp))


def test_a_token_issued_in_the_future_is_refused(client, idp):
    """An iat beyond the leeway ahead of our clock is refused."""
    idp.claims = {"iat": NOW + 600, "exp": NOW + 900}
    assert "iat" in str(refused(client, idp))


def test_a_nonce_mismatch_is_refused(client, idp):
    """An ID token carrying another sign-on's nonce is refused (replay)."""
    assert "nonce" in str(refused(client, idp, nonce="n-" + secrets.token_urlsafe(16)))


def test_a_token_without_a_subject_is_refused(client, idp):
    """An ID token with no sub names nobody and is refused."""
    idp.claims = {"sub": None}
    assert "sub" in str(refused(client, idp))


def test_a_wrong_code_verifier_is_refused(client, idp):
    """The provider refuses a code redeemed with another verifier (PKCE), and so do we."""
    assert "invalid_grant" in str(refused(client, idp, code_verifier="v" * 64))


@pytest.mark.parametrize("status", [400, 500])
def test_a_token_endpoint_error_is_refused(client, idp, status):
    """A 400 or 500 from the token endpoint is a refusal naming the status."""
    idp.token_response = lambda code: httpx.Response(
        status,
        json={"error": "invalid_grant", "error_description": f"code {code} already redeemed"},
    )
    error = refused(client, idp)
    assert f"HTTP {status}" in str(error)


def test_a_token_response_without_an_id_token_is_refused(client, idp):
    """A token response with only an access token proves nobody's identity."""
    idp.token_response = lambda code: httpx.Response(200, json={"access_token": "at.only"})
    assert "no ID token" in str(refused(client, idp))


def test_an_unreachable_token_endpoint_is_refused(client, idp):
    """A transport failure at the token endpoint is a refusal, not a crash."""

    def unreachable(code: str) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    idp.token_response = unreachable
    assert "could not reach" in str(refused(client, idp))


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, text="upstream error"),
        httpx.Response(404),
        httpx.Response(200, text="<html>sign in</html>"),
        httpx.Response(200, json={"issuer": "https://evil.test", "jwks_uri": "x"}),
        httpx.Response(200, json={"issuer": ISSUER}),
    ],
    ids=["500", "404", "not-json", "other-issuer", "no-endpoints"],
)
def test_a_discovery_failure_is_refused(client, idp, response):
    """No usable discovery document, no sign-on: begin raises OidcError."""
    idp.discovery_response = response
    with pytest.raises(OidcError):
        client.begin()


def test_oidc_error_has_a_stable_code():
    """OidcError carries the code the API maps to its problem response."""
    assert OidcError.code == "oidc_failed"
    assert OidcError("x").code == "oidc_failed"


# --- nothing leaks ---------------------------------------------------------------------------


def _another_key(idp: FakeProvider) -> None:
    idp.signing_key = rsa_key(str(idp.signing_key.kid))


def _token_error(idp: FakeProvider) -> None:
    idp.token_response = lambda code: httpx.Response(
        400, json={"error": "invalid_grant", "error_description": f"code {code} is spent"}
    )


FAILURES: dict[str, Callable[[FakeProvider], object]] = {
    "another-key": _another_key,
    "audience": lambda idp: idp.claims.update(aud="other"),
    "issuer": lambda idp: idp.claims.update(iss="https://evil.test"),
    "expired": lambda idp: idp.claims.update(exp=NOW - 3600),
    "no-subject": lambda idp: idp.claims.update(sub=None),
    "token-endpoint": _token_error,
}


@pytest.mark.parametrize("failure", [*FAILURES, "nonce"])
def test_the_tokens_never_appear_in_the_errors(client, idp, caplog, failure):
    """Neither the message, the exception chain, its traceback nor the log holds a token."""
    caplog.set_level("DEBUG")
    if failure == "nonce":
        error = refused(client, idp, nonce="another-nonce")
    else:
        FAILURES[failure](idp)
        error = refused(client, idp)
    text = "\n".join(
        [
            repr(error),
            "".join(traceback.format_exception(error)),
            *(f"{e!r} {e.args!r}" for e in _chain(error)),
            caplog.text,
        ]
    )
    leaked = [s for s in idp.secrets if s in text]
    assert not leaked, f"{len(leaked)} secret value(s) found in the error of {failure}"
    assert len(idp.secrets) >= 3  # the secret, the code and the verifier were at least issued


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__
