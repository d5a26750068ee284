"""Output files: never replaced without --force, written atomically."""

from __future__ import annotations

import os

import pytest

from transcribe.errors import TranscribeError
from transcribe.writing import check_output, write_atomic


def test_refuses_existing_without_force(tmp_path):
    out = tmp_path / "notes.md"
    out.write_text("mine")
    with pytest.raises(TranscribeError, match="already exists; use --force"):
        check_output(out, force=False)
    check_output(out, force=True)
    assert out.read_text() == "mine"


def test_missing_folder_and_directory_target(tmp_path):
    with pytest.raises(TranscribeError, match="output folder does not exist"):
        check_output(tmp_path / "nope" / "notes.md", force=False)
    with pytest.raises(TranscribeError, match="is a directory"):
        check_output(tmp_path, force=True)


def test_write_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path):
    out = tmp_path / "notes.md"
    old = os.umask(0o022)
    try:
        write_atomic(out, "first\n")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # like any new file, not mkstemp's 0o600
    out.chmod(0o640)
    write_atomic(out, "ü" * 10000)
    assert out.read_text(encoding="utf-8") == "ü" * 10000
    assert out.stat().st_mode & 0o777 == 0o640  # mode of the replaced file kept
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(TranscribeError, match="not writable"):
            check_output(tmp_path / "notes.md", force=False)
    finally:
        tmp_path.chmod(0o755)
