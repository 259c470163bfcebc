#!/usr/bin/env bash
# Re-resolve the locks from pyproject.toml (see requirements/README.md). Needs network access
# to the package index; uses a throw-away virtual environment with pip-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"${PYTHON:-python3}" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet "pip-tools==7.7.0"
common=(--quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links)
"$tools/bin/pip-compile" "${common[@]}" -o requirements/run.txt pyproject.toml requirements/bootstrap.in
"$tools/bin/pip-compile" "${common[@]}" --extra test -o requirements/test.txt pyproject.toml requirements/bootstrap.in
