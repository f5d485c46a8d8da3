"""Help a newcomer reads: gq.ask's own signature and numpydoc text, CLI options explained."""

from __future__ import annotations

import inspect
import pydoc

import pytest

import geoquant as gq
from geoquant.cli import build_parser


def test_help_of_gq_ask_shows_the_real_signature_and_docstring():
    params = inspect.signature(gq.ask).parameters
    assert {"question", "source", "bbox", "datetime", "product", "out", "gsd"} <= set(params)
    text = pydoc.render_doc(gq.ask, renderer=pydoc.plaintext)
    assert "Parameters" in text and "Returns" in text and "Raises" in text
    assert "**options" not in text


def _option_help(command: str) -> dict[str, str | None]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return {a.dest: a.help for a in sub._actions if a.dest != "help"}


@pytest.mark.parametrize("command", ["search", "ask", "eval", "survey", "demo"])
def test_every_option_has_help_text(command):
    missing = [dest for dest, text in _option_help(command).items() if not text]
    assert not missing, f"geoquant {command}: options without help: {missing}"


def test_product_help_says_a_json_legend_works():
    assert "JSON legend" in _option_help("ask")["product"]
