"""Lists for people and for pipes: a table on a terminal, tab-separated rows elsewhere.

gh's convention: on a terminal a Rich table; off one (a pipe, a file) one record per line,
its fields separated by a tab in a fixed, documented order, with no header, padding,
wrapping or colour. `--format table|tsv|json` forces one; `-q` prints only the ids.

The tables break no token. Their column widths are worked out here, not left to Rich
(which folds or crops a column that does not fit): a column of ids, seat labels or numbers
is never narrower than its widest cell and never wraps; a column of prose wraps at the
spaces between tokens (`tokens.glued`: numbers with their units, URLs, commands), and only
such a column is squeezed, and then dropped, when the terminal is narrow. Cells arrive
already laid out in lines, so Rich has nothing left to wrap.

Times: local time with the zone in tables (`Sat 12 Dec 19:30 CET`), ISO 8601 with an offset
in tab-separated rows and JSON (the server's value, when it has one).

    fit([Column("id", 25, 25), Column("name", 40, 10, drop=1)], 60)  # [25, 33]
    tsv_line(["ev1", "Jazz\tNight", None])  # 'ev1\tJazz\\tNight\t'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from seatctl.clock import parse_iso_time
from seatctl.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

    from seatctl.render.streams import IOStreams

GAP = 2  # between two columns: a space of padding and the (blank) rule
TEXT_LEAST = 8  # a column of prose is squeezed no narrower (unless all of it is narrower)
WallClock = Callable[[], datetime]


class OutputFormat(StrEnum):
    TABLE = "table"
    TSV = "tsv"
    JSON = "json"


def output_format(requested: OutputFormat | None, *, as_json: bool, quiet: bool,
                  stdout_is_tty: bool) -> OutputFormat:
    """`--json` (anywhere) or `--format json`: the JSON document; another `--format`: that;
    otherwise a table on a terminal and tab-separated rows elsewhere."""
    from seatctl.errors import UsageError

    if as_json and requested not in (None, OutputFormat.JSON):
        raise UsageError(f"--json and --format {requested} ask for two outputs",
                         hint="give one of them")
    if as_json:
        requested = OutputFormat.JSON
    if quiet and requested is OutputFormat.JSON:
        raise UsageError("--quiet prints only ids, --json a whole document",
                         hint="give one of them")
    if requested is not None:
        return requested
    return OutputFormat.TABLE if stdout_is_tty else OutputFormat.TSV


# --- tab-separated rows -------------------------------------------------------------------


def tsv_line(fields: Iterable[object]) -> str:
    """One record: its fields tab-separated, None as an empty field. Tabs, line breaks and
    other control characters inside a field are escaped (`\\t`), so a record is one line."""
    return "\t".join("" if field is None else printable(field) for field in fields)


def write_tsv(streams: IOStreams, rows: Iterable[Iterable[object]]) -> None:
    for row in rows:
        streams.write_data(tsv_line(row))


# --- column widths --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    natural: int  # its widest cell line (or its header), in terminal cells
    least: int  # the narrowest that breaks no token in it
    drop: int | None = None  # too narrow a terminal drops columns, lowest first; None: never
    justify: Literal["left", "right"] = "left"

    @classmethod
    def fixed(cls, header: str, cells: Iterable[str], *, drop: int | None = None,
              justify: Literal["left", "right"] = "left") -> Column:
        """A column that never wraps: ids, labels, numbers, times."""
        width = longest_line([header, *cells])
        return cls(header, width, width, drop, justify)

    @classmethod
    def prose(cls, header: str, cells: Iterable[str], *, least: int = 0,
              drop: int | None = None) -> Column:
        """A column that wraps at the spaces between tokens; never narrower than `least`,
        nor than the widest token that must stay whole (see `must_stay_whole`)."""
        cells = [header, *cells]
        natural = longest_line(cells)
        whole = max((cell_width(unit) for cell in cells for line in cell.split("\n")
                     for unit in units(line) if must_stay_whole(unit)), default=0)
        least = max(least, whole, min(natural, TEXT_LEAST))
        return cls(header, max(natural, least), least, drop)


def fit(columns: Sequence[Column], width: int) -> list[int | None]:
    """Each column's width, None for a column dropped because even the narrowest table
    would not fit `width` with it (the lowest `drop` goes first). The room left over goes
    to the columns that can use it, in proportion to what they would take. When the
    columns that cannot be dropped do not fit, the table is wider than `width`: a token
    is never cut to make it fit."""
    shown = list(range(len(columns)))
    droppable = sorted((index for index, column in enumerate(columns)
                        if column.drop is not None), key=lambda index: columns[index].drop or 0)
    while droppable and _least_width(columns, shown) > width:
        shown.remove(droppable.pop(0))
    room = max(0, width - _least_width(columns, shown))
    wants = {index: columns[index].natural - columns[index].least for index in shown}
    total = sum(wants.values())
    widths: list[int | None] = [None] * len(columns)
    for index in shown:
        share = wants[index] if total <= room else room * wants[index] // total
        widths[index] = columns[index].least + share
    return widths


def _least_width(columns: Sequence[Column], shown: Sequence[int]) -> int:
    return sum(columns[index].least for index in shown) + GAP * max(0, len(shown) - 1)


def table_width(widths: Sequence[int | None]) -> int:
    shown = [width for width in widths if width is not None]
    return sum(shown) + GAP * max(0, len(shown) - 1)


def print_table(console: Console, columns: Sequence[Column], widths: Sequence[int | None],
                rows: Iterable[Sequence[Text]]) -> None:
    """The rows (their cells laid out to `widths` already) as a Rich table, header in
    bold, without the columns `fit` dropped."""
    from rich import box
    from rich.table import Table

    shown = [index for index, width in enumerate(widths) if width is not None]
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False,
                  header_style="bold")
    for index in shown:
        column, width = columns[index], widths[index] or 0
        table.add_column(laid_out(column.header, width), width=width, no_wrap=True,
                         justify=column.justify)
    for row in rows:
        table.add_row(*(row[index] for index in shown))
    print_unwrapped(console, table, table_width(widths))


def print_unwrapped(console: Console, renderable: RenderableType, width: int) -> None:
    """`renderable` `width` cells wide, also when the console is narrower (Rich would
    shrink it, cutting what it must not): then its lines overflow, whole."""
    if width <= console.width:
        console.print(renderable)
        return
    from rich.text import Text

    options = console.options.update_width(width)
    for line in console.render_lines(renderable, options, pad=False):
        console.print(Text.assemble(*((segment.text, segment.style or "") for segment in line
                                      if not segment.control)), soft_wrap=True)


# --- laying out cells ---------------------------------------------------------------------


def units(text: str) -> list[str]:
    """The pieces of `text` a line may break between: words, except that a number and its
    unit, a command in backticks, an option and its value are one piece each."""
    from seatctl.render.tokens import GLUE, glued

    return [unit.replace(GLUE, " ") for unit in glued(text).split(" ") if unit]


def must_stay_whole(unit: str) -> bool:
    """Ids, seat labels, URLs, numbers (with their units): what a column of prose is made
    wide enough for, where other long words may be shortened with an ellipsis."""
    return " " in unit or any(char.isdigit() or char in ":/@_" for char in unit)


def lines(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells, broken only between `units` (a unit wider
    than `width` has a line to itself)."""
    return packed(units(text), width, separator=" ")


def laid_out(text: str, width: int) -> str:
    """`lines`, as the text of one cell."""
    return "\n".join(lines(text, width))


def packed(items: Sequence[str], width: int, *, separator: str = ", ") -> list[str]:
    """`items` joined by `separator`, in lines of at most `width` cells, each line broken
    after a separator, never inside an item: a list of seat labels or ids."""
    glue = separator.rstrip()
    result: list[str] = []
    line = ""
    for number, item in enumerate(items):
        piece = item + (glue if number < len(items) - 1 else "")
        if line and cell_width(line) + 1 + cell_width(piece) > width:
            result.append(line)
            line = ""
        line = f"{line} {piece}" if line else piece
    return [*result, line] if line or not result else result


def longest_line(cells: Iterable[str]) -> int:
    return max((cell_width(line) for cell in cells for line in cell.split("\n")), default=0)


def cell_width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


# --- times --------------------------------------------------------------------------------


def wall_now() -> datetime:
    return datetime.now(UTC)


def local_time(value: str | None, now: datetime) -> tuple[str, str]:
    """A time for a table, in local time, as its day and its clock time with the zone:
    (`Sat 12 Dec`, `19:30 CET`); the year too when it is not `now`'s. ("-", "") when
    missing; an unreadable value as it is."""
    moment = parse_iso_time(value)
    if moment is None:
        return ("-" if not value else printable(value)), ""
    moment = moment.astimezone()
    day = f"{moment:%a} {moment.day} {moment:%b}"
    if moment.year != now.astimezone().year:
        day += f" {moment.year}"
    return day, f"{moment:%H:%M} {moment.tzname() or moment.strftime('%z')}"


def iso_time(value: str | None) -> str:
    """A time for tab-separated rows: ISO 8601 with an offset. The value as it is when it
    has one (`Z` included); without one, read as UTC. Empty when missing."""
    moment = parse_iso_time(value, naive_as_utc=False)
    if value is None or moment is None:
        return printable(value or "")
    if moment.tzinfo is not None:
        return printable(value.strip())
    return moment.replace(tzinfo=UTC).isoformat()
