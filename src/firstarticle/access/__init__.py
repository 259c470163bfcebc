"""Adapters of identity: password hashing, tokens, TOTP and OpenID Connect."""
