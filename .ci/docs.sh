#!/usr/bin/env bash
# Build the documentation site (mkdocs.yml, docs/) with warnings as errors, into a temp dir, from
# a fresh venv holding only the `docs` extra of pyproject.toml. The API reference reads the source
# statically (griffe; nothing of fastinit is imported), so neither the compiled core nor torch,
# Keras, JAX or Dask is needed. The build itself fetches nothing: no fonts, scripts or data.
# Run from the checkout's root by .ci/run with python3 (3.11+, for tomllib) and PyPI; leaves
# nothing in the checkout. The code examples of the pages run in tests/test_readme.py.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

. .ci/lib.sh
ci_workdir docs

echo "== tools: the docs extra of pyproject.toml"
new_venv "$python" "$work/venv"
"$work/venv/bin/python" - pyproject.toml > "$work/requirements.txt" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["optional-dependencies"]["docs"]))
PY
"$work/venv/bin/python" -m pip install -q -r "$work/requirements.txt"

echo "== mkdocs build --strict"
NO_MKDOCS_2_WARNING=1 "$work/venv/bin/mkdocs" build --strict --site-dir "$work/site"
pages=$(find "$work/site" -name index.html | wc -l)
echo "docs.sh: built $pages pages, no warnings"
