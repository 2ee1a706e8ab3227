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

echo "== the API reference lists every name of each module's __all__"
"$work/venv/bin/python" - "$work/site" <<'PY'
import ast, pathlib, re, sys
site = pathlib.Path(sys.argv[1])
pages = {"fastinit": "__init__.py", "torch": "torch/__init__.py", "keras": "keras/__init__.py",
         "jax": "jax/__init__.py", "dask": "dask.py", "outofcore": "outofcore/__init__.py",
         "torchrec": "torchrec/__init__.py"}
bad = []
for page, source in pages.items():
    tree = ast.parse(pathlib.Path("python/fastinit", source).read_text())
    names = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and any(getattr(t, "id", None) == "__all__" for t in n.targets))
    module = "fastinit" if page == "fastinit" else f"fastinit.{page}"
    ids = set(re.findall(r'id="([\w.]+)"', (site / "reference" / page / "index.html").read_text()))
    bad += [f"{module}.{n}" for n in names if f"{module}.{n}" not in ids and f"{module}.{n}.{n}" not in ids]
if bad:
    sys.exit(f"docs.sh: not in the API reference (docs/reference/): {bad}")
print(f"docs.sh: every name of {len(pages)} modules' __all__ is in the reference")
PY
pages=$(find "$work/site" -name index.html | wc -l)
echo "docs.sh: built $pages pages, no warnings"
