"""The documentation documents this project: every file or folder the README names exists, and
every `ehts` command and option it shows is one the command line accepts (in the spirit of
sqlite-utils' documentation tests)."""

from __future__ import annotations

import re
import shlex

import pytest

from ehts_data import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))


def _named_paths(text: str) -> set[str]:
    """Project paths a document names: markdown link targets and `code` spans that look like
    a path inside the project (a known top-level folder or file, or a .md/.py/.toml/.sql file)."""
    found = set(re.findall(r"\]\(([^)#\s]+)\)", text))
    for span in re.findall(r"`([^`\s]+)`", text):
        top = span.split("/")[0]
        is_file = "/" in span and span.rsplit(".", 1)[-1] in ("md", "py", "toml", "sql", "sh")
        if is_file or ((ROOT / top).exists() and (top != span or span.endswith("/"))):
            found.add(span)
    # Left out: addresses, options, globs and paths inside a folder a command writes (<extract>/…).
    return {
        p for p in found if "://" not in p and not p.startswith(("$", "-", "<")) and "*" not in p
    }


def _commands(text: str) -> list[list[str]]:
    """Every `ehts …` command line in the document's code blocks (comments dropped)."""
    out = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("ehts "):
                out.append(shlex.split(line.replace("[", "").replace("]", "").replace("|", " ")))
    return out


@pytest.mark.parametrize("doc", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_path_a_document_names_exists(doc):
    text = doc.read_text(encoding="utf-8")
    missing = [
        p
        for p in sorted(_named_paths(text))
        if not ((doc.parent / p).exists() or (ROOT / p).exists())
    ]
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def test_every_ehts_command_in_the_readme_is_accepted():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    shown = _commands(README)
    assert shown, "the README shows no ehts command"
    for words in shown:
        sub = commands.get(words[1])
        assert sub is not None, f"README shows unknown command: {' '.join(words)}"
        rest = words[2:]
        # A command with its own subcommands (ehts import ssd): the options are the inner one's.
        nested = [a for a in sub._actions if a.choices and a.dest == "format"]  # noqa: SLF001
        if nested and rest and rest[0] in nested[0].choices:
            sub, rest = nested[0].choices[rest[0]], rest[1:]
        options = {o for action in sub._actions for o in action.option_strings}  # noqa: SLF001
        for word in rest:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{' '.join(words)}: no option {word}"


def test_the_readme_names_every_command():
    commands = cli.build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    missing = [name for name in commands if f"ehts {name}" not in README]
    assert not missing, f"the README does not mention: {missing}"


def test_the_readme_layout_names_every_module_of_the_package():
    layout = README.split("## Layout", 1)[1]
    modules = [p.name for p in (ROOT / "ehts_data").glob("*.py") if p.name != "__init__.py"]
    missing = [m for m in modules if m not in layout]
    assert not missing, f"the README's layout does not name: {missing}"
