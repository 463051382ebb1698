"""What the replay does to cost less keeps its behaviour: mail files in the same order, cycle collection paused only
while deciding and restored after, and the decisions the same with the collector running throughout."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
from pathlib import Path

import pytest

import worker.replay
from worker.replay import cycle_collection_paused, mail_files, replay

FIXTURE = Path(__file__).parent / "fixtures" / "small"


def test_mail_files_come_in_the_order_of_their_paths(tmp_path: Path) -> None:
    """Sorting by name is the paths' own order within the folder: capitals before small letters, digits by
    character, a name that is not UTF-8, a dangling link; files of other endings and nested folders stay out."""
    folder = tmp_path / "c" / "mail"
    folder.mkdir(parents=True)
    names = ["b.eml", "B.eml", "a10.eml", "a9.eml", "a-1.eml", "a_1.eml", ".hidden.eml", "z.EML", "x.eml.txt"]
    for name in names:
        (folder / name).write_bytes(b"")
    os.symlink(b"/nonexistent/target", os.fsencode(folder) + b"/lost-\xff\xfe.eml")
    (folder / "sub").mkdir()
    (folder / "sub" / "deeper.eml").write_bytes(b"")
    found = mail_files(tmp_path / "c")
    assert found == sorted(found)
    assert found == sorted((folder).glob("*.eml"))
    assert len(found) == 8  # every *.eml but the other endings and the nested one
    assert mail_files(tmp_path / "nothing here") == []


def test_collection_is_paused_inside_and_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycle_collection_paused():
        raise RuntimeError("a replay that fails")
    assert gc.isenabled()


def test_collection_left_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_replay_decides_the_same_with_the_collector_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decisions of a replay that pauses collection, byte for byte those of one that never pauses it (here with
    enough messages for forked readers); the collector is back on afterwards."""
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    mail = sorted((corpus / "mail").glob("*.eml"))
    for copy in range(1, 30):  # the same messages again under other names: enough for more than one reader
        for path in mail:
            shutil.copy(path, corpus / "mail" / f"copy{copy}-{path.name}")
    paused = [worker.replay.decision_line(d) for d in replay(corpus)]
    assert gc.isenabled()
    seen: list[bool] = []

    def decide_watching(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    original = worker.replay.decide_in_order
    monkeypatch.setattr(worker.replay, "decide_in_order", decide_watching)
    assert [worker.replay.decision_line(d) for d in replay(corpus)] == paused
    assert seen == [False]  # deciding ran with collection paused
    monkeypatch.setattr(worker.replay, "cycle_collection_paused", contextlib.nullcontext)
    seen.clear()
    assert [worker.replay.decision_line(d) for d in replay(corpus)] == paused
    assert seen == [True]
