"""Server headers reach the terminal only through `printable`: `ping` shows the identifying
headers and `doctor` names the front door from them. h11 already refuses C0 controls (ESC)
in a header value, so what can arrive is obs-text: bytes 0x80-0xFF, read as Latin-1, among
them the C1 controls (0x9B is CSI, a complete escape introducer on some terminals)."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import Cli
from tests.support.servers import serving_callback

HOSTILE_SERVER = b"nginx\x9b2J\x9d0;owned\x9c \xe2\x80\xae"  # CSI, OSC ... ST, U+202E's bytes
RAW_CONTROLS = ("\x1b", "\x9b", "\x9d", "\x9c", "\x07", "\r")


async def hostile_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"message": "ok", "status": "success"}'
        writer.write(b"HTTP/1.1 200 OK\r\nServer: " + HOSTILE_SERVER + b"\r\n"
                     b"Via: 1.1 " + HOSTILE_SERVER + b"\r\nX-Powered-By: " + HOSTILE_SERVER
                     + b"\r\nContent-Type: application/json\r\nKeep-Alive: timeout=1\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()


@pytest.mark.parametrize("command", [("ping",), ("doctor", "--quick", "--max-wait", "1.5")])
def test_hostile_header_bytes_are_shown_escaped(cli: Cli, command: tuple[str, ...]) -> None:
    with serving_callback(hostile_headers) as url:
        args = [command[0], url, *command[1:]] if command[0] == "doctor" else list(command)
        outcome = cli(*args, env={"SEATCTL_BASE_URL": url, "FORCE_COLOR": "1",
                                  "NO_COLOR": ""})
    assert outcome.exit_code in (0, 1), str(outcome)
    shown = outcome.stdout + outcome.stderr
    stripped = "".join(shown.split("\x1b[")[0:1]) + "".join(
        part.split("m", 1)[-1] for part in shown.split("\x1b[")[1:])  # Rich's own SGR styling
    assert not any(control in stripped for control in RAW_CONTROLS), repr(stripped)
    if command[0] == "ping":  # ping lists the identifying headers: shown, escaped
        assert "\\x9b" in shown
