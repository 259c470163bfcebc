"""The append-only, hash-chained audit ledger: canonical form, chaining and verification."""
