"""Seat labels to seat ids, against a seat map. Pure: no I/O, no printing.

People name seats by row and number (`A12`); the API wants the opaque seat `id`. A label is
one of:

* a raw seat id, exactly as the seat map gives it;
* `A12`: a row and a number; accepted only where it names one seat across all sections
  (rows restart at `A` in every section of the seed backend, so usually it does not);
* `SECTION:A12`: the section by its name, case-insensitive, or by a unique case-insensitive
  prefix of it (`orch:A12`).

`ROW-NUMBER` (`R27-3`) separates the row from the number where their concatenation is
ambiguous (row `R27` seat 3 against row `R2` seat 73); `A 17` reads as `A17` too. Rows are
matched case-insensitively, numbers as numbers (`A07` is `A7`). A space may stand for the
colon after a section (`Orchestra A17`, `orch a 17`) when no seat is labelled with the whole
text. A label that names several seats, or none, is a UsageError whose message lists the
qualified candidates, or whose hint names the nearest valid labels, free seats first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from seatctl.api.models import SeatMap
from seatctl.errors import BookingFailed, UsageError

MAX_LISTED = 8  # candidates or suggestions named in one message
MAX_SUGGESTED = 3  # nearest labels named in a "did you mean" hint
_SEPARATOR = re.compile(r"^(?P<row>.+?)[\s-]+(?P<number>[^\s-]+)$")
_JOINED = re.compile(r"^(?P<row>.*?\D)(?P<number>\d+)$")  # A07: a row, then digits


class SeatState(StrEnum):
    FREE = "free"
    BOOKED = "booked"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class ResolvedSeat:
    """One seat of a seat map, with the names a person can use for it."""

    id: str
    section: str
    section_id: str
    row: str
    number: str
    label: str  # "A12"
    qualified: str  # "Orchestra:A12"
    display: str  # the shortest of label, qualified label, id that names only this seat
    state: SeatState
    price: float | None

    @property
    def free(self) -> bool:
        return self.state is SeatState.FREE


def split_labels(values: Iterable[str]) -> list[str]:
    """`--seat A12 --seat A13` and `--seats A12,A13 , A14`: one flat list, blanks dropped."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class SeatIndex:
    """Every seat of one seat map, indexed by id, label and section."""

    def __init__(self, seat_map: SeatMap) -> None:
        self.seat_map = seat_map
        pairs = seat_map.seats()
        # How many seats each form of name would match: a seat is displayed by the first
        # form that names it alone.
        bare = _counts(_key(seat.label) for _, seat in pairs)
        qualified = _counts(_key(f"{section.name}:{seat.label}") for section, seat in pairs)
        separated = _counts(_key(f"{section.name}:{seat.row}-{seat.number}")
                            for section, seat in pairs)
        self.seats: list[ResolvedSeat] = []
        for section, seat in pairs:
            full = f"{section.name}:{seat.label}"
            split = f"{section.name}:{seat.row}-{seat.number}"
            if bare[_key(seat.label)] == 1:
                display = seat.label
            elif qualified[_key(full)] == 1:
                display = full
            elif separated[_key(split)] == 1:
                display = split
            else:
                display = seat.id
            state = (SeatState.BLOCKED if seat.is_blocked
                     else SeatState.BOOKED if seat.is_booked else SeatState.FREE)
            price = seat.price if seat.price is not None else section.section_price
            self.seats.append(ResolvedSeat(
                id=seat.id, section=section.name, section_id=section.id, row=seat.row,
                number=seat.number, label=seat.label, qualified=full, display=display,
                state=state, price=price))
        self._by_id = {seat.id: seat for seat in self.seats}
        self.sections: list[str] = list(dict.fromkeys(
            section.name for section in seat_map.sections))

    def resolve(self, labels: Sequence[str]) -> list[ResolvedSeat]:
        """Each label to its seat, in order; a seat named twice is kept once."""
        resolved: dict[str, ResolvedSeat] = {}
        for label in labels:
            seat = self.resolve_one(label)
            resolved.setdefault(seat.id, seat)
        return list(resolved.values())

    def resolve_one(self, text: str) -> ResolvedSeat:
        label = text.strip()
        if not label:
            raise UsageError("an empty seat label", hint="name seats like A12 or Orchestra:A12")
        if label in self._by_id:
            return self._by_id[label]
        section_text, colon, seat_text = label.rpartition(":")
        if colon:
            section = self._section(section_text.strip(), label)
            pool = [seat for seat in self.seats if seat.section == section]
            where = f" in {section}"
            seat_text = seat_text.strip()
        else:
            pool, where = self.seats, ""
        if not seat_text:
            raise UsageError(f"{label!r} names a section but no seat",
                             hint=f"add a row and number, like {section_text.strip()}:A12")
        matches = _matching(pool, seat_text) or ([] if colon else self._spaced(label))
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = _listed([seat.display for seat in matches])
            raise UsageError(f"seat {label!r} is ambiguous: {names}",
                             hint="name the section, like " + matches[0].qualified)
        raise UsageError(f"no seat {label!r}{where}",
                         hint=self._nearest(pool, seat_text, qualified=bool(colon)))

    def _spaced(self, label: str) -> list[ResolvedSeat]:
        """`Orchestra A17`: a section (by name or unique prefix), a space, then a seat."""
        words = label.split()
        found: dict[str, ResolvedSeat] = {}
        for split in range(1, len(words)):
            section = self._section_named(" ".join(words[:split]))
            if section is not None:
                pool = [seat for seat in self.seats if seat.section == section]
                for seat in _matching(pool, " ".join(words[split:])):
                    found.setdefault(seat.id, seat)
        return list(found.values())

    def _section_named(self, text: str) -> str | None:
        """The section `text` names exactly or as a unique prefix, case-insensitively."""
        wanted = text.casefold()
        exact = [name for name in self.sections if name.casefold() == wanted]
        prefixed = exact or [name for name in self.sections
                             if name.casefold().startswith(wanted)]
        return prefixed[0] if len(prefixed) == 1 else None

    def _section(self, text: str, label: str) -> str:
        wanted = text.casefold()
        exact = [name for name in self.sections if name.casefold() == wanted]
        if len(exact) == 1:
            return exact[0]
        prefixed = exact or [name for name in self.sections
                             if wanted and name.casefold().startswith(wanted)]
        if len(prefixed) == 1:
            return prefixed[0]
        if prefixed:
            raise UsageError(f"section {text!r} in {label!r} is ambiguous: "
                             f"{_listed(prefixed)}", hint="give more of the section's name")
        nearest = difflib.get_close_matches(wanted, [name.casefold() for name in self.sections],
                                            n=3, cutoff=0.5)
        named = [name for name in self.sections if name.casefold() in nearest] or self.sections
        raise UsageError(f"no section {text!r} in {label!r}",
                         hint=f"the sections are {_listed(named)}" if not nearest
                         else f"did you mean {_listed(named, conjunction='or')}?")

    def _nearest(self, pool: Sequence[ResolvedSeat], text: str, *, qualified: bool) -> str:
        """A hint naming the valid labels nearest to an unknown one, as they can be typed:
        the closest few (see _closest), free seats before booked and blocked ones."""
        by_label: dict[str, list[ResolvedSeat]] = {}
        for seat in pool:
            by_label.setdefault(_key(seat.label), []).append(seat)
        typed = _compact(text) or _key(text)  # `A 17`, `A-17`: as `a17`
        groups = [by_label[key] for key in _closest(by_label, typed, cutoff=0.5)]
        if not qualified and len(text.split()) > 1:  # `Orchstra A17`: a section mistyped
            groups = self._nearest_qualified(text) or groups
        groups.sort(key=lambda seats: not any(seat.free for seat in seats))  # stable
        names: list[str] = []
        example: ResolvedSeat | None = None
        for seats in groups[:MAX_SUGGESTED]:
            if len({seat.section_id for seat in seats}) > 1:  # a bare label in many sections
                names.append(seats[0].label)
                example = example or seats[0]
            else:
                names.extend(seat.qualified if qualified and seat.display == seat.label
                             else seat.display for seat in seats)
        if not names:
            return "see the seat map: seatctl seats EVENT"
        hint = f"did you mean {_listed(names, conjunction='or')}?"
        if example is not None:
            hint += f" (in more than one section: name it, like {example.qualified})"
        return hint

    def _nearest_qualified(self, text: str) -> list[list[ResolvedSeat]]:
        """The seats whose `SECTION:LABEL` is closest to `text`, separators aside."""
        by_name: dict[str, list[ResolvedSeat]] = {}
        for seat in self.seats:
            by_name.setdefault(_compact(seat.qualified), []).append(seat)
        return [by_name[name] for name in _closest(by_name, _compact(text), cutoff=0.75)]


def resolve_labels(seat_map: SeatMap, labels: Sequence[str]) -> list[ResolvedSeat]:
    """Labels (or raw ids) to seats; see the module docstring for the rules."""
    return SeatIndex(seat_map).resolve(labels)


def unavailable(seats: Iterable[ResolvedSeat]) -> list[ResolvedSeat]:
    """The seats that are booked or blocked, in order."""
    return [seat for seat in seats if not seat.free]


def describe_unavailable(seats: Iterable[ResolvedSeat]) -> str:
    """`Orchestra:A1 (blocked), Orchestra:A3 (booked)`: the seats named as a person would."""
    return ", ".join(f"{seat.display} ({seat.state})" for seat in seats)


def ensure_available(seats: Sequence[ResolvedSeat]) -> None:
    """Refuse, before anything is sent, seats the seat map already shows as taken."""
    taken = unavailable(seats)
    if taken:
        noun = "seat is" if len(taken) == 1 else "seats are"
        raise BookingFailed(f"{len(taken)} {noun} not available: {describe_unavailable(taken)}",
                            hint="choose others (seatctl seats EVENT --available), or send "
                                 "anyway with --force")


def _matching(pool: Iterable[ResolvedSeat], text: str) -> list[ResolvedSeat]:
    """The seats labelled `text`; else those of its row and number (`A 17`, `A-17`, `A07`)."""
    seats = list(pool)
    wanted = _key(text)
    matches = [seat for seat in seats if _key(seat.label) == wanted]
    if matches:
        return matches
    for pattern in (_SEPARATOR, _JOINED):
        parts = pattern.match(text.strip())
        if parts is not None:
            row, number = _key(parts["row"]), _number(parts["number"])
            matches = [seat for seat in seats
                       if _key(seat.row) == row and _number(seat.number) == number]
            if matches:
                return matches
    return []


def _key(text: str) -> str:
    return text.strip().casefold()


def _closest(keys: Iterable[str], text: str, *, cutoff: float) -> list[str]:
    """Up to MAX_LISTED keys whose difflib ratio to `text` is at least `cutoff`, closest
    first: by that ratio, then by edits (two characters swapped count as one: `A71` is near
    `A17`), then in the same row before other rows, then by how far apart their numbers are
    (`A21` is nearer `A20` than `A11`)."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(text)
    row, number = _row_and_number(text)
    scored: list[tuple[float, int, bool, int, str]] = []
    for key in keys:
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                key_row, key_number = _row_and_number(key)
                gap = abs(key_number - number) if key_number >= 0 and number >= 0 else 1 << 30
                scored.append((-ratio, _edits(key, text), key_row != row, gap, key))
    return [key for *_, key in sorted(scored)[:MAX_LISTED]]


def _edits(first: str, second: str) -> int:
    """The optimal string alignment distance: insertions, deletions, substitutions and
    swaps of neighbours, each one edit."""
    previous: list[int] = []
    row = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        before, previous, row = previous, row, [i] + [0] * len(second)
        for j, b in enumerate(second, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[-1]


def _row_and_number(text: str) -> tuple[str, int]:
    """`a17` -> ("a", 17); ("a17", -1) where no number ends it."""
    parts = _JOINED.match(text)
    return (parts["row"], int(parts["number"])) if parts is not None else (text, -1)


def _number(text: str) -> str:
    """A seat number to compare: `07` is `7`."""
    key = _key(text)
    return str(int(key)) if key.isdigit() and key.isascii() else key


def _compact(text: str) -> str:
    """`Orchestra:A-17`, `orchestra a17`: the same letters, without case or separators."""
    return "".join(char for char in text.casefold() if char.isalnum())


def _counts(keys: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return counts


def _listed(names: Sequence[str], *, conjunction: str = "") -> str:
    shown = list(names[:MAX_LISTED])
    more = len(names) - len(shown)
    text = ", ".join(shown)
    if more:
        text += f" and {more} more"
    elif conjunction and len(shown) > 1:
        text = ", ".join(shown[:-1]) + f" {conjunction} {shown[-1]}"
    return text
