"""When output is coloured: a TTY, --no-color, NO_COLOR, TERM=dumb, FORCE_COLOR."""

from __future__ import annotations

import pytest

from seatctl.render.streams import color_wanted


@pytest.mark.parametrize(
    ("tty", "flag", "env", "expected"),
    [
        (True, False, {}, True),
        (False, False, {}, False),
        (True, True, {}, False),
        (True, False, {"NO_COLOR": "1"}, False),
        (True, False, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (True, False, {"TERM": "dumb"}, False),
        (False, False, {"FORCE_COLOR": "1"}, True),
        (False, True, {"FORCE_COLOR": "1"}, False),
    ],
)
def test_colour_rules(tty: bool, flag: bool, env: dict[str, str], expected: bool) -> None:
    assert color_wanted(tty, flag, env) is expected
