"""OpenID Connect sign-on (authorization code flow with PKCE) for Azure AD, Okta and the like.

``OidcClient.begin`` gives the URL to send the browser to and the one-time values the caller
keeps; ``OidcClient.finish`` turns the code that comes back into a verified ``OidcIdentity``.
Identify a person by ``(issuer, subject)``: the e-mail is what the provider asserts, and a
provider may let a user change it.

Tokens (access, ID, refresh) are used here and dropped: they are never logged, never put in an
error message and never returned.
"""

from __future__ import annotations

import base64
import hmac
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx

# Authlib ships no type information (no py.typed); these two helpers take and return str.
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]

# Authlib deprecates its own authlib.jose (removal in 2.0) in favour of joserfc: same author,
# typed, and what Authlib itself now builds on.
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

__all__ = [
    "DEFAULT_SCOPES",
    "OidcClient",
    "OidcError",
    "OidcIdentity",
    "OidcStart",
]

DEFAULT_SCOPES = "openid email profile"
LEEWAY_SECONDS = 60
CACHE_SECONDS = 3600.0
HTTP_TIMEOUT_SECONDS = 10.0

# Symmetric (HS*) algorithms would make the client secret a signing key and "none" signs
# nothing: an ID token must carry the provider's public-key signature.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

TokenEndpointAuth = Literal["client_secret_basic", "client_secret_post"]

_SAFE_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class OidcError(Exception):
    """Sign-on failed. The message says what failed and never carries a token or secret."""

    code = "oidc_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class OidcStart:
    """Where to send the browser, and what the caller must keep until the callback.

    ``state``, ``nonce`` and ``code_verifier`` are fresh random values; keep them server-side or
    in a short-lived signed cookie, and pass them back to ``OidcClient.finish``.
    """

    authorization_url: str
    state: str
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class OidcIdentity:
    """A person the provider vouched for in a verified ID token.

    ``claims`` are the ID token's claims (not the token itself).
    """

    issuer: str
    subject: str
    email: str | None
    name: str | None
    claims: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class _Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...] | None


class OidcClient:
    """A relying party of one OpenID provider, for the authorization code flow with PKCE.

    The discovery document and the JWKS are fetched on first use and kept for
    ``cache_seconds``; an ID token signed by a key not in the cached JWKS triggers one
    refetch, so the provider's key rotation needs no restart. Safe to share between threads.
    """

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: str = DEFAULT_SCOPES,
        http_client: httpx.Client | None = None,
        token_endpoint_auth: TokenEndpointAuth | None = None,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Configure the client; nothing is fetched until ``begin`` or ``finish``.

        ``token_endpoint_auth`` of ``None`` picks client_secret_basic unless the provider
        advertises only client_secret_post. ``clock`` gives Unix time for ``exp``/``iat``.
        """
        if "openid" not in scopes.split():
            raise ValueError("scopes must include 'openid'")
        self.issuer = issuer
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False
        )
        self._token_endpoint_auth = token_endpoint_auth
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._provider: _Provider | None = None
        self._provider_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def __repr__(self) -> str:
        return f"OidcClient(issuer={self.issuer!r}, client_id={self.client_id!r})"

    def close(self) -> None:
        """Close the HTTP client if this object created it; an injected one is left open."""
        if self._owns_http:
            self._http.close()

    # --- the flow ---------------------------------------------------------------------------

    def begin(self) -> OidcStart:
        """Start a sign-on: the provider's authorization URL with fresh state, nonce and PKCE.

        Raises ``OidcError`` when the provider's discovery document cannot be had.
        """
        provider = self._discovered()
        state = generate_token(43)
        nonce = generate_token(43)
        # RFC 7636 asks for 43 to 128 unreserved characters; letters and digits are.
        code_verifier = generate_token(64)
        url = httpx.URL(provider.authorization_endpoint).copy_merge_params(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": create_s256_code_challenge(code_verifier),
                "code_challenge_method": "S256",
            }
        )
        return OidcStart(str(url), state, nonce, code_verifier)

    def finish(
        self, *, code: str, state: str, expected_state: str, nonce: str, code_verifier: str
    ) -> OidcIdentity:
        """Finish a sign-on: check state, redeem the code, verify the ID token, return who it is.

        The ID token must be signed by a key of the provider's JWKS with an asymmetric
        algorithm it advertises, issued by this issuer for this client, unexpired (60 s
        leeway), carry the nonce of ``begin`` and a subject. Any failure raises ``OidcError``.
        """
        # Checked before any network call, so a forged callback costs nothing.
        if not state or not hmac.compare_digest(state.encode(), expected_state.encode()):
            raise OidcError("state does not match the one issued at sign-on start")
        if not code:
            raise OidcError("the provider returned no authorization code")
        provider = self._discovered()
        id_token = self._redeem(provider, code, code_verifier)
        claims = self._verify(provider, id_token, nonce)
        return OidcIdentity(
            issuer=claims["iss"],
            subject=claims["sub"],
            email=_optional_str(claims.get("email")),
            name=_optional_str(claims.get("name")),
            claims=claims,
        )

    # --- discovery and keys -----------------------------------------------------------------

    def _discovered(self) -> _Provider:
        with self._lock:
            if self._provider is None or self._expired(self._provider_at):
                self._provider = self._discover()
                self._provider_at = time.monotonic()
            return self._provider

    def _discover(self) -> _Provider:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = self._get_json(url, "discovery document")
        issuer = doc.get("issuer")
        # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was asked
        # for, or a look-alike provider could vouch for users of another. Only a trailing
        # slash, which configurations often add or drop, is forgiven.
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.issuer.rstrip("/"):
            raise OidcError("the discovery document names another issuer")
        endpoints = {}
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = doc.get(key)
            if not isinstance(value, str) or not value:
                raise OidcError(f"the discovery document has no {key}")
            endpoints[key] = value
        advertised = doc.get("id_token_signing_alg_values_supported")
        # RS256 is the algorithm every provider must support (OpenID Connect Core §15.1).
        names = advertised if isinstance(advertised, list) else ["RS256"]
        algorithms = tuple(a for a in names if isinstance(a, str) and a in ASYMMETRIC_ALGORITHMS)
        if not algorithms:
            raise OidcError("the provider advertises no asymmetric ID token signing algorithm")
        methods = doc.get("token_endpoint_auth_methods_supported")
        auth_methods = (
            tuple(m for m in methods if isinstance(m, str)) if isinstance(methods, list) else None
        )
        return _Provider(
            issuer=issuer,
            authorization_endpoint=endpoints["authorization_endpoint"],
            token_endpoint=endpoints["token_endpoint"],
            jwks_uri=endpoints["jwks_uri"],
            algorithms=algorithms,
            auth_methods=auth_methods,
        )

    def _key_set(self, provider: _Provider, *, refresh: bool = False) -> KeySet:
        with self._lock:
            if refresh or self._keys is None or self._expired(self._keys_at):
                entries = self._get_json(provider.jwks_uri, "JWKS").get("keys")
                if not isinstance(entries, list) or not all(isinstance(k, dict) for k in entries):
                    raise OidcError("the provider's JWKS has no list of keys")
                try:
                    self._keys = KeySet.import_key_set({"keys": entries})
                except (JoseError, ValueError, KeyError, TypeError) as exc:
                    raise OidcError("the provider's JWKS holds no usable key") from exc
                self._keys_at = time.monotonic()
            return self._keys

    def _expired(self, fetched_at: float) -> bool:
        return time.monotonic() - fetched_at >= self._cache_seconds

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"could not fetch the {what} ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise OidcError(f"could not fetch the {what} (HTTP {response.status_code})")
        try:
            doc = response.json()
        except ValueError:
            raise OidcError(f"the {what} is not JSON") from None
        if not isinstance(doc, dict):
            raise OidcError(f"the {what} is not a JSON object")
        return doc

    # --- code and token ---------------------------------------------------------------------

    def _auth_method(self, provider: _Provider) -> TokenEndpointAuth:
        if self._token_endpoint_auth is not None:
            return self._token_endpoint_auth
        methods = provider.auth_methods
        # client_secret_basic is the default when the provider does not say (Discovery §3).
        if methods is None or "client_secret_basic" in methods:
            return "client_secret_basic"
        if "client_secret_post" in methods:
            return "client_secret_post"
        raise OidcError("the provider supports neither client_secret_basic nor client_secret_post")

    def _redeem(self, provider: _Provider, code: str, code_verifier: str) -> str:
        """Exchange the code for an ID token. Exceptions are raised ``from None``: their
        context would hold the token response."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
        }
        headers = {"Accept": "application/json"}
        if self._auth_method(provider) == "client_secret_post":
            form |= {"client_id": self.client_id, "client_secret": self._client_secret}
        else:
            headers["Authorization"] = _basic_auth(self.client_id, self._client_secret)
        try:
            response = self._http.post(provider.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise OidcError(f"could not reach the token endpoint ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            raise OidcError(
                f"the token endpoint refused the code (HTTP {response.status_code}"
                f"{_provider_error(body)})"
            )
        id_token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(id_token, str) or not id_token:
            raise OidcError("the token endpoint returned no ID token")
        return id_token

    def _verify(self, provider: _Provider, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once signature and claims are checked (OIDC Core §3.1.3.7)."""
        keys = self._key_set(provider)
        try:
            try:
                token = jwt.decode(id_token, keys, algorithms=provider.algorithms)
            except JoseError as exc:
                if exc.error != "invalid_key_id":
                    raise
                # An unknown kid most likely means the provider rotated its keys since we
                # cached them.
                keys = self._key_set(provider, refresh=True)
                token = jwt.decode(id_token, keys, algorithms=provider.algorithms)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            # A malformed token can fail in many ways; every one is a refused sign-on.
            reason = _jose_reason(exc)
            raise OidcError(f"the ID token's signature is not valid ({reason})") from None

        claims = token.claims
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise OidcError("the ID token has expired") from None
        except MissingClaimError as exc:
            raise OidcError(f"the ID token lacks the {exc.claim} claim") from None
        except ClaimError as exc:
            raise OidcError(f"the ID token's {exc.claim} claim is not valid") from None
        except JoseError as exc:
            raise OidcError(f"the ID token is not valid ({_jose_reason(exc)})") from None
        # §3.1.3.7 (4, 5): with several audiences, azp must name us; when present, always.
        aud = claims["aud"]
        azp = claims.get("azp")
        if (isinstance(aud, list) and len(aud) > 1 and azp is None) or (
            azp is not None and azp != self.client_id
        ):
            raise OidcError("the ID token was issued to another party (azp)")
        return claims


def _basic_auth(client_id: str, client_secret: str) -> str:
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Base64, which matters for
    # secrets with ':' or '%', as Azure AD generates.
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def _provider_error(body: object) -> str:
    # Only the RFC 6749 error code, and only if it looks like one: error_description is free
    # text that a provider might fill with request material.
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str) and _SAFE_ERROR_CODE.fullmatch(error):
        return f", {error}"
    return ""


def _jose_reason(exc: Exception) -> str:
    if isinstance(exc, JoseError):
        return exc.error or type(exc).__name__
    return type(exc).__name__


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
