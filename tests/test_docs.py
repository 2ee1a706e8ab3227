"""The documentation agrees with the code and with itself where a build cannot check it.

The site's own links, anchors and navigation are checked by ``mkdocs build --strict``
(``.ci/docs.sh``); its code blocks run in tests/test_readme.py. Here: the command-line reference
(docs/reference/cli.md) names exactly the options of the parser, and the links of the files that
GitHub shows outside the site (README.md, CONTRIBUTING.md, CHANGELOG.md) lead to files that exist.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from fastinit.cli.args import build_parser

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLI_PAGE = ROOT / "docs" / "reference" / "cli.md"
COMMANDS = ("", "init", "verify", "info", "list")
OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
HEADING = re.compile(r"^## `fastinit(?: (?P<command>\w+))? --help`$", re.MULTILINE)


def _page_sections() -> dict[str, str]:
    """The ```text block under each '## `fastinit CMD --help`' heading of the CLI page."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    sections = {}
    for m in HEADING.finditer(text):
        block = re.search(r"```text\n(.*?)\n```", text[m.end():], re.DOTALL)
        assert block, f"{CLI_PAGE.name}: no ```text block after {m.group(0)!r}"
        sections[m.group("command") or ""] = block.group(1)
    return sections


def _help(command: str) -> str:
    parser = build_parser()
    if command:
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        parser = sub.choices[command]  # type: ignore[attr-defined]
    return parser.format_help()


def test_cli_page_has_every_command():
    assert sorted(_page_sections()) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_page_names_the_parsers_options(command):
    """The options in the page's help text are the parser's (the layout of argparse's text
    differs between Python versions; the options do not)."""
    page = set(OPTION.findall(_page_sections()[command]))
    real = set(OPTION.findall(_help(command)))
    assert page == real, (f"docs/reference/cli.md, `fastinit {command} --help`: options only in the page "
                          f"{sorted(page - real)}, only in the parser {sorted(real - page)}; paste the "
                          f"output of `COLUMNS=100 fastinit {command} --help` into the page")


LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("name", ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"])
def test_relative_links_lead_to_files(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    targets = [m.group("target") for m in LINK.finditer(text) if "://" not in m.group("target")]
    assert targets or name == "CHANGELOG.md", f"{name} has no relative links: the pattern finds nothing"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"{name} links to files that do not exist: {missing}"
