"""``python -m firstarticle`` runs the command line."""

from firstarticle.cli import app

app()
