"""Password hashing (Argon2id), bearer secrets (tokens, sessions, nonces) and TOTP.

Passwords are slow-hashed because people reuse them; tokens, session ids and nonces are
128+ bit random values, so one SHA-256 at rest is enough and keeps every request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "fat_"
MIN_PASSWORD_LENGTH = 12


class Argon2Passwords:
    """Argon2id with the library's RFC 9106 low-memory profile (the argon2-cffi default)."""

    def __init__(self, hasher: Argon2Hasher | None = None) -> None:
        self._hasher = hasher or Argon2Hasher()

    def hash(self, password: str) -> str:
        """An encoded Argon2id hash of ``password`` with a fresh salt."""
        return self._hasher.hash(password)

    def verify(self, encoded: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing or malformed hash never matches.

        With no hash the work is still done, so an unknown user costs as much as a known one.
        """
        if not encoded:
            self._hasher.hash(password)
            return False
        try:
            return self._hasher.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """True when ``encoded`` was made with weaker parameters than today's."""
        return self._hasher.check_needs_rehash(encoded)


def new_token() -> str:
    """A bearer token for a system or script: prefix plus 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """A 256-bit random value for session ids, CSRF tokens and signing nonces."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of a random secret, the only form kept at rest."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


def new_totp_secret() -> str:
    """A base32 TOTP secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, username: str, issuer: str = "firstarticle") -> str:
    """The otpauth:// URI an authenticator app enrols from (shown once, as a QR code or text)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def totp_step(secret: str, code: str, at: float | None = None, last_step: int | None = None) -> int:
    """The time step ``code`` is valid for (one step of drift allowed), or -1.

    A code of a step at or before ``last_step`` is refused, so a code cannot be replayed.
    """
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return -1
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = int(now // totp.interval)
    for step in (current, current - 1, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if same(totp.at(step * totp.interval), code):
            return step
    return -1
