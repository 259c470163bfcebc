"""The pure domain core: entities, value objects, lifecycle and rules.

Nothing in this package imports a web framework, a database driver or anything outside the
standard library; ``tests/unit/test_architecture.py`` keeps it so.
"""
