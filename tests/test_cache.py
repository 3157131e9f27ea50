"""One disk cache for history, signatures, front matter, records and redlines: keyed by the engine's own code,
rebuilt when damaged, never trusted when an entry has another shape, shared safely by two builds at once."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, copy_example, run
from qms import cache as cache_module
from qms.cache import Cache, cache_file, engine_digest
from qms.config import load_settings
from qms.model.project import load_project

PACKAGE = ROOT / "tools" / "qms"
# Values of another shape than their namespace holds (a value of the right shape is indistinguishable from a real
# one: the cache is trusted because it lives outside the work tree, where a pull request cannot write).
SHAPES = ['[]', '{"text": 1}', '{"meta": 3, "problems": [[1]]}', "12", "not json", '{"data": [], "problems": "x"}',
          '{"fields": [], "changes": {}}', '{"data": {"id": "X"}, "problems": [[1, "m", "fatal", "c"]]}', "null"]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_DATE": "2026-03-02T10:00:00+00:00",
                        "GIT_COMMITTER_DATE": "2026-03-02T10:00:00+00:00"})


@pytest.fixture
def example(tmp_path: Path, isolated_git: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example company in a git repository with two changes (so there is a history and a redline), and
    a cache folder of its own."""
    root = copy_example(tmp_path)
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=Quinn Quality", "-c", "user.email=q@example.com", "add", "-A")
    git(root, "-c", "user.name=Quinn Quality", "-c", "user.email=q@example.com", "commit", "-q", "-m", "Manual")
    procedure = next((root / "procedures").glob("QP-01-*.md"))
    text = procedure.read_text(encoding="utf-8")
    revision = next(line for line in text.splitlines() if line.startswith("revision:"))
    text = text.replace(revision, 'revision: "99"', 1).replace("\n## ", "\nA sentence added for the test.\n\n## ", 1)
    procedure.write_text(text, encoding="utf-8")
    git(root, "-c", "user.name=Quinn Quality", "-c", "user.email=q@example.com", "commit", "-qam",
        "QP-01: a sentence\n\nApproved-by: Helen Carter <helen@example.com>")
    monkeypatch.setenv("QMS_CACHE_DIR", str(tmp_path / "cache"))
    return root


def check_json(root: Path, env: dict | None = None) -> dict:
    result = run(["qms", "check", "--format", "json"], cwd=root, env={"QMS_CACHE_DIR": os.environ["QMS_CACHE_DIR"],
                                                                        **(env or {})})
    assert "Traceback" not in result.output, result.output
    return json.loads(result.stdout)


def rows(root: Path) -> dict[str, int]:
    with sqlite3.connect(cache_file(root)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return dict(db.execute("SELECT namespace, count(*) FROM entries GROUP BY namespace").fetchall())


def build(root: Path, site: Path) -> str:
    result = run(["mkdocs", "build", "--strict", "-d", str(site)], cwd=root,
                 env={"QMS_CACHE_DIR": os.environ["QMS_CACHE_DIR"]})
    assert result.returncode == 0, result.output[-3000:]
    assert "Traceback" not in result.output
    return result.output


def same_site(a: Path, b: Path) -> None:
    result = run([sys.executable, str(ROOT / "tools" / "compare_sites.py"), str(a), str(b)], cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_site_is_the_same_with_an_empty_a_warm_a_damaged_and_a_tampered_cache(example: Path, tmp_path: Path):
    build(example, tmp_path / "cold")
    assert set(rows(example)) == {"front-matter", "records", "history", "objects", "redlines", "published"}
    build(example, tmp_path / "warm")
    same_site(tmp_path / "cold", tmp_path / "warm")

    cache_file(example).write_bytes(b"this is not a database" * 100)  # garbage
    build(example, tmp_path / "garbage")
    same_site(tmp_path / "cold", tmp_path / "garbage")
    assert rows(example)["records"] > 100  # started again, not switched off for good

    with sqlite3.connect(cache_file(example)) as db:  # every entry of another shape, one not even text
        names = db.execute("SELECT namespace, name FROM entries").fetchall()
        for i, (namespace, name) in enumerate(names):
            db.execute("UPDATE entries SET value = ? WHERE namespace = ? AND name = ?",
                       (SHAPES[i % len(SHAPES)], namespace, name))
        db.execute("UPDATE entries SET value = X'00ff' WHERE namespace = ? AND name = ?", names[0])
    build(example, tmp_path / "tampered")
    same_site(tmp_path / "cold", tmp_path / "tampered")


def test_qms_check_finds_the_same_with_an_empty_a_warm_and_a_truncated_cache(example: Path):
    cold = check_json(example)
    assert check_json(example) == cold
    data = cache_file(example).read_bytes()
    cache_file(example).write_bytes(data[: len(data) // 3])  # a disk that filled up, a copy cut short
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_file(example)}{suffix}").unlink(missing_ok=True)
    assert check_json(example) == cold
    assert rows(example)["records"] > 100


def test_a_new_check_in_the_engine_runs_on_every_record_with_a_warm_cache(example: Path, tmp_path: Path):
    """The engine's code is part of every key: a warm cache never hides what a new version of it finds."""
    engines = {}
    for name in ("before", "after"):
        engines[name] = tmp_path / f"engine-{name}"
        shutil.copytree(PACKAGE, engines[name] / "qms", ignore=shutil.ignore_patterns("__pycache__"))
    records_py = engines["after"] / "qms" / "model" / "records.py"
    source = records_py.read_text(encoding="utf-8")
    new_check = ('    problems.append(Problem(display, 1, "checked by the new engine", "warning", code="new-check"))\n'
                 "    return record, problems\n")
    assert source.count("    return record, problems\n") == 1
    records_py.write_text(source.replace("    return record, problems\n", new_check), encoding="utf-8")

    def check(engine: Path) -> dict:
        return check_json(example, env={"PYTHONPATH": str(engine)})

    check(engines["before"])  # cold
    warm = check(engines["before"])
    records = sum(1 for _ in (example / "records").rglob("*.yaml"))
    assert records > 100 and warm["codes"].get("new-check") is None
    assert check(engines["after"])["codes"]["new-check"] == records  # every record, not the 0 a stale cache gives
    assert check(engines["after"])["codes"]["new-check"] == records  # and warm with the new engine too


def test_the_engine_digest_covers_its_code_and_catalogues(tmp_path: Path):
    home = tmp_path / "qms"
    shutil.copytree(PACKAGE, home, ignore=shutil.ignore_patterns("__pycache__"))
    first = cache_module._digest_of(home)
    assert first == cache_module._digest_of(home) and len(engine_digest()) == 32
    (home / "analysis" / "checks.py").write_text((home / "analysis" / "checks.py").read_text() + "\n# new\n")
    second = cache_module._digest_of(home)
    catalogue = next((home / "catalogues").glob("*.yaml"))
    catalogue.write_text(catalogue.read_text() + "\n")
    assert len({first, second, cache_module._digest_of(home)}) == 3


def test_a_damaged_or_foreign_cache_file_is_started_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("QMS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "project"
    root.mkdir()
    path = cache_file(root)
    path.parent.mkdir(parents=True)
    for damage in (b"garbage " * 500, b"SQLite format 3\x00" + b"\x07" * 3000, None):
        if damage is None:  # a cache of another layout: the table an older engine made
            path.unlink()
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.execute("INSERT INTO entries VALUES ('k', 'v')")
        else:
            path.write_bytes(damage)
        with Cache(root) as cache:
            assert cache.usable
            assert cache.get("records", "a.yaml", ["k"]) is None
            cache.put("records", "a.yaml", ["k"], {"value": 1})
        assert Cache(root).get("records", "a.yaml", ["k"]) == {"value": 1}
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_an_entry_is_read_only_under_its_own_key_and_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QMS_CACHE_DIR", str(tmp_path / "cache"))
    with Cache(tmp_path) as cache:
        cache.put("redlines", "a:b:M", "", "<p>x</p>")
        cache.put("records", "r.yaml", ["sha", "schema"], ["not", "a", "mapping"])
    cache = Cache(tmp_path)
    assert cache.get("redlines", "a:b:M", "") == "<p>x</p>"
    assert cache.get("redlines", "a:b:M", "other key") is None
    assert cache.get("records", "r.yaml", ["sha", "schema"], lambda v: v["data"]) is None  # TypeError: ignored
    monkeypatch.setattr(cache_module, "_ENGINE", "another engine")
    assert cache.get("redlines", "a:b:M", "") is None  # another engine never reads it


WRITER = """
import sys
from pathlib import Path
from qms.cache import Cache
root, who = Path(sys.argv[1]), sys.argv[2]
for round in range(20):
    with Cache(root) as cache:
        for i in range(50):
            cache.put("redlines", f"{who}-{round}-{i}", "", "x" * 2000)
"""


def test_two_builds_can_write_the_cache_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QMS_CACHE_DIR", str(tmp_path / "cache"))
    env = {**os.environ}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), who], env=env, stderr=subprocess.PIPE)
               for who in ("a", "b", "c")]
    errors = [w.communicate(timeout=120)[1].decode() for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0] and errors == ["", "", ""]
    with sqlite3.connect(cache_file(tmp_path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (3 * 20 * 50,)


def test_the_cache_is_never_inside_the_work_tree(example: Path):
    load_project(load_settings(example / "mkdocs.yml"))
    assert cache_file(example).is_file() and not cache_file(example).is_relative_to(example)
    assert not any(p.suffix in (".sqlite3", ".json") and "cache" in p.name for p in example.rglob("*"))
