"""Help texts read well (defect 5): no stray line breaks, no internal type names, every option
explained, and the accepted forms said."""

from __future__ import annotations

import itertools

import pytest

from tests.cli.support import run_cli

WIDTH = 80
WRAP = WIDTH - 2  # click's formatter keeps a margin of 2


def _help(*command: str) -> str:
    result = run_cli("sqlite:///unused.db", *command, "--help", env={"COLUMNS": str(WIDTH)})
    return result.ok().stdout


def _description_paragraphs(help_text: str) -> list[list[str]]:
    """The lines of the command's description, between the usage line and the first section."""
    lines = help_text.splitlines()[1:]
    end = next(i for i, line in enumerate(lines) if line.endswith(":") and not line[0].isspace())
    paragraphs: list[list[str]] = [[]]
    for line in lines[:end]:
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


@pytest.mark.parametrize(
    "command",
    [("cdr", "import"), ("fetch",), ("purge",), ("rates", "import"), ("serve",), ("summary",)],
    ids=" ".join,
)
def test_descriptions_wrap_at_the_terminal_width_without_stray_breaks(
    command: tuple[str, ...],
) -> None:
    """Regression: a line of the docstring ended a help line early ("stored is a" / "duplicate")."""
    paragraphs = _description_paragraphs(_help(*command))
    assert paragraphs
    for paragraph in paragraphs:
        for line, following in itertools.pairwise(paragraph):
            next_word = following.split()[0]
            assert len(line) + 1 + len(next_word) > WRAP, (line, following)


def test_rates_import_help_names_its_file_and_explains_every_option() -> None:
    text = _help("rates", "import")
    assert "FileBinaryRead" not in text
    assert "--workspace <str>  The workspace" in text


def test_fx_set_help_says_a_plain_date_is_accepted() -> None:
    assert "a plain date (2024-01-01, midnight UTC)" in " ".join(_help("fx", "set").split())
