"""The wrapping helpers: what counts as one token, and where a line may break."""

from __future__ import annotations

import pytest
from rich.text import Text

from seatctl.render.tokens import GLUE, fix_line, glued, wrap, wrap_plain


@pytest.mark.parametrize("token", ["65 s", "1.2 ms", "2 seat(s)", "--db PATH", "--port 0",
                                   "`seatctl seats EVENT --available`"])
def test_a_token_has_no_space_to_break_at(token: str) -> None:
    marked = glued(f"see {token} here")
    assert marked == f"see {token.replace(' ', GLUE)} here"


def test_prose_after_an_option_is_not_its_value() -> None:
    assert glued("ignore --keep-alive and close") == "ignore --keep-alive and close"


@pytest.mark.parametrize(("line", "code"), [
    ("seatctl serve --keep-alive-timeout 65 --headers-timeout 66", True),
    ("uvicorn app:app --timeout-keep-alive 65", True),
    ("KeepAliveTimeout 65", True),
    ("    server.keepAliveTimeout = 65_000;  // above the proxy's idle timeout", True),
    ("In nginx's http or server block:", False),
    ("Raise the application server's idle keep-alive timeout to 65 s. For Node.js:", False),
    ("(or --timeouts seed-fix: the seed's fix, closing at 66 s)", False),
])
def test_a_fix_line_of_code_is_one_token_and_prose_is_not(line: str, code: bool) -> None:
    assert (" " not in fix_line(line)) is code


def test_a_command_with_a_remark_keeps_the_command_whole() -> None:
    marked = fix_line("seatctl serve --advertise-keep-alive 6 (or drop it: the header lies)")
    command, remark = marked.split(" ", 1)
    assert command == "seatctl serve --advertise-keep-alive 6".replace(" ", GLUE)
    assert remark == "(or drop it: the header lies)"


def test_a_token_too_long_gets_a_line_of_its_own_and_the_glue_is_gone() -> None:
    lines = wrap_plain("hint: run `seatctl doctor http://example.com --lb-idle-timeout 60` "
                       "first", 40, 6)
    assert lines == ["hint: run",
                     "      `seatctl doctor http://example.com --lb-idle-timeout 60`",
                     "      first"]


def test_without_a_width_nothing_wraps_and_styles_stay() -> None:
    text = wrap(Text.assemble(("error: ", "red"), "word " * 30), None, 7)
    assert "\n" not in text.plain and text.spans[0].style == "red"
