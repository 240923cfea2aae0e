"""seatctl.reports: a report file written all or nothing, with the permissions `open` gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from seatctl.errors import UsageError
from seatctl.reports import write_report_file


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_a_new_file_gets_the_text_and_opens_mode_and_no_temporary_is_left(tmp_path: Path
                                                                          ) -> None:
    target = tmp_path / "report.xml"
    write_report_file(target, "<testsuite/>\n", "JUnit report")
    assert target.read_text(encoding="utf-8") == "<testsuite/>\n"
    assert mode_of(target) == 0o666 & ~current_umask()
    assert [path.name for path in tmp_path.iterdir()] == ["report.xml"]


def test_a_file_already_there_is_replaced_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("an older, longer report\n", encoding="utf-8")
    target.chmod(0o640)
    write_report_file(target, "new\n", "report")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert mode_of(target) == 0o640


def test_a_mode_given_is_the_files_whatever_it_was(tmp_path: Path) -> None:
    target = tmp_path / "monitor.xml"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    write_report_file(target, "new", "JUnit report", mode=0o644)
    assert mode_of(target) == 0o644


def test_append_adds_to_the_end(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("step 1\n", encoding="utf-8")
    write_report_file(summary, "step 2\n", "GitHub job summary", append=True)
    assert summary.read_text(encoding="utf-8") == "step 1\nstep 2\n"


@pytest.mark.parametrize("append", [False, True])
def test_a_file_that_cannot_be_written_is_a_usage_error_naming_it(tmp_path: Path,
                                                                  append: bool) -> None:
    target = tmp_path / "missing" / "report.xml"
    with pytest.raises(UsageError) as raised:
        write_report_file(target, "text", "JUnit report", append=append)
    assert raised.value.message == (f"cannot write the JUnit report {target}: "
                                    "No such file or directory")


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.xml"
    target.write_text("the old report", encoding="utf-8")

    def no_space(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(UsageError, match="No space left on device"):
        write_report_file(target, "the new report", "JUnit report")
    assert target.read_text(encoding="utf-8") == "the old report"
    assert [path.name for path in tmp_path.iterdir()] == ["report.xml"]


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "doctor.xml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.xml"
    link.symlink_to(target)
    write_report_file(link, "new", "JUnit report")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"


def test_a_hard_link_is_written_into_so_every_name_sees_the_new_report(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    first.write_text("old", encoding="utf-8")
    os.link(first, second)
    write_report_file(first, "new", "JUnit report")
    assert second.read_text(encoding="utf-8") == "new"


def test_a_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that opening to write returns
    try:
        write_report_file(fifo, "new", "JUnit report")
        assert os.read(reader, 100) == b"new"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_file_not_writable_is_opened_in_place_so_the_system_decides(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rename would replace a read-only report without asking: it is opened instead, which
    fails for its owner ("Permission denied") and succeeds for root, as before."""
    target = tmp_path / "report.xml"
    target.write_text("old", encoding="utf-8")
    inode = target.stat().st_ino
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    write_report_file(target, "new", "JUnit report")  # the test may run as root
    assert target.stat().st_ino == inode and target.read_text(encoding="utf-8") == "new"
