"""Folders written whole: a bundle or a site is built beside its target and swapped in, so
whoever reads the target (a server, a static host) finds the old folder or the new one,
never none; a failed write leaves the old one as it was."""
from __future__ import annotations

import os
import threading

import pytest

from clientside import ExportError, files
from clientside.files import new_folder, replace_folder


def folder_with(path, name, text):
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_text(text)
    return path


def test_the_target_is_never_moved_away(tmp_path, monkeypatch):
    """The old way, target -> .old then new -> target, has a moment with no target at all:
    here nothing may move the target itself."""
    target = folder_with(tmp_path / "bundle", "v", "1")
    new = folder_with(tmp_path / "new", "v", "2")
    real = os.replace

    def guarded(src, dst):
        assert os.fspath(src) != os.fspath(target), "the target was moved away"
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", guarded)
    replace_folder(new, target)
    assert (target / "v").read_text() == "2" and (new / "v").read_text() == "1"  # the old one, left at new


def test_a_reader_always_finds_a_complete_folder(tmp_path):
    target = folder_with(tmp_path / "site", "index.html", "0")
    missing, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                (target / "index.html").read_text()
            except FileNotFoundError:
                missing.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 200):
            with new_folder(target, ours=lambda p: True, what="site") as tmp:
                (tmp / "index.html").write_text(str(i))
    finally:
        stop.set()
        reader.join()
    assert missing == [] and (target / "index.html").read_text() == "199"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no leftovers


def test_without_an_atomic_exchange_the_result_is_still_right(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    target = folder_with(tmp_path / "bundle", "v", "1")
    replace_folder(folder_with(tmp_path / "new", "v", "2"), target)
    assert (target / "v").read_text() == "2" and (tmp_path / "new" / "v").read_text() == "1"


def test_a_failed_write_leaves_the_old_folder(tmp_path):
    target = folder_with(tmp_path / "bundle", "v", "1")
    with pytest.raises(RuntimeError, match="half way"), new_folder(target, ours=lambda p: True, what="bundle") as tmp:
        (tmp / "v").write_text("2")
        raise RuntimeError("half way")
    assert (target / "v").read_text() == "1" and sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_a_folder_that_is_not_ours_is_refused(tmp_path):
    target = folder_with(tmp_path / "photos", "cat.jpg", "meow")
    with pytest.raises(ExportError, match="not empty and holds no bundle"), \
            new_folder(target, ours=lambda p: False, what="bundle"):
        pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="exists and is not a folder"), \
            new_folder(tmp_path / "file", ours=lambda p: True, what="bundle"):
        pass
    assert (target / "cat.jpg").read_text() == "meow"
