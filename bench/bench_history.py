"""Benchmark: load_history (cold, no cache) against one plain `git log --name-status` pass.

Builds a repository of 300 documents and 3,000 commits with `git fast-import` (a merged pull
request every tenth change, a rename every hundredth), then times both and prints the ratio.
Target: load_history costs at most 3 times the plain log.

    .venv/bin/python bench/bench_history.py [--docs 300] [--commits 3000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from qms.history import revisions as history_module  # noqa: E402
from qms.history.revisions import load_history  # noqa: E402

FOLDERS = ("procedures", "docs")
PARAGRAPH = ("The operator checks the first part against the drawing and records the result on the job card. "
             "Any nonconformity is labelled, segregated and reported to the quality manager the same day. ")


def document(n: int, revision: int, edit: int) -> bytes:
    """The text of document n at a revision, changed a little on each edit."""
    body = "\n\n".join(f"## Step {s}\n\n{PARAGRAPH}{'(edit %d) ' % edit if s == edit % 6 else ''}" for s in range(6))
    return (f"---\nid: QP-{n:03d}\ntitle: Procedure {n}\ntype: procedure\nrevision: \"{revision}\"\n"
            f"status: effective\nowner: quality-manager\nclauses: [\"8.{n % 7 + 1}\"]\nreview_interval: 12 months\n"
            f"---\n\n# Procedure {n}\n\n{body}\n").encode()


def fast_import_stream(docs: int, commits: int) -> bytes:
    """A fast-import stream: an initial commit with every document, then edits, merges and renames."""
    out: list[bytes] = []
    paths = {n: (f"procedures/QP-{n:03d}.md" if n % 3 else f"docs/manual/QP-{n:03d}.md") for n in range(docs)}
    state = {n: [1, 0] for n in range(docs)}  # revision, edit count
    mark = 0
    when = 1_700_000_000

    def commit(ref: str, message: str, author: str, changes: list[bytes], parents: list[int]) -> int:
        nonlocal mark, when
        mark += 1
        when += 600
        msg = message.encode()
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(f"author {author} <{author.split()[0].lower()}@example.com> {when} +0000\n".encode())
        out.append(f"committer {author} <{author.split()[0].lower()}@example.com> {when} +0000\n".encode())
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if parents:
            out.append(f"from :{parents[0]}\n".encode())
            out.extend(f"merge :{p}\n".encode() for p in parents[1:])
        out.extend(changes)
        return mark

    def modify(n: int) -> bytes:
        rev, edit = state[n]
        state[n] = [rev + (edit % 3 == 2), edit + 1]
        data = document(n, *state[n])
        return b"M 100644 inline %s\ndata %d\n%s\n" % (paths[n].encode(), len(data), data)

    initial = []
    for n in range(docs):
        data = document(n, 1, 0)
        initial.append(b"M 100644 inline %s\ndata %d\n%s\n" % (paths[n].encode(), len(data), data))
    tip = commit("refs/heads/main", "Initial manual", "Alice Author", initial, [])
    made, i = 1, 0
    while made < commits:
        i += 1
        n = (i * 37) % docs
        if i % 10 == 0 and made + 3 <= commits:  # a pull request: two commits on a branch, then a merge
            side = commit("refs/heads/feature", f"Work on QP-{n:03d}", "Bob Builder", [modify(n)], [tip])
            m2 = (n + 1) % docs
            message = f"More work on QP-{m2:03d}\n\nReviewed-by: Rita Reviewer <r@example.com>"
            side = commit("refs/heads/feature", message, "Carol Coder", [modify(m2)], [side])
            tip = commit("refs/heads/main", f"Merge pull request #{i} from acme/feature\n\nUpdate QP-{n:03d}",
                         "Dan Director", [modify(n), modify(m2)], [tip, side])
            made += 3
        elif i % 100 == 0:  # a rename
            old = paths[n]
            paths[n] = old.replace(".md", "-renamed.md")
            tip = commit("refs/heads/main", f"Rename QP-{n:03d}", "Alice Author",
                         [f"R {old} {paths[n]}\n".encode()], [tip])
            made += 1
        else:
            tip = commit("refs/heads/main", f"Edit QP-{n:03d}", "Alice Author", [modify(n)], [tip])
            made += 1
    return b"".join(out)


def best_of(runs: int, fn) -> float:  # noqa: ANN001
    """The fastest of `runs` timings of fn(), in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        repo = args.keep or Path(tmp) / "repo"
        repo.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=fast_import_stream(args.docs, args.commits),
                       check=True)
        subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True)
        count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.strip()
        print(f"repository: {args.docs} documents, {count} commits, built in {time.perf_counter() - start:.2f} s")

        def plain_log() -> None:
            subprocess.run(["git", "log", "--name-status", "-z", "--format=%H", "HEAD", "--", *FOLDERS], cwd=repo,
                           capture_output=True, check=True)

        def same_walk_log() -> None:
            subprocess.run(["git", "log", "--first-parent", "-M", "--name-status", "-z", "--format=%H", "HEAD", "--",
                            *FOLDERS], cwd=repo, capture_output=True, check=True)

        def cold() -> None:
            history_module.clear_cache()
            load_history(repo, FOLDERS, use_cache=False)

        load_history(repo, FOLDERS)  # fill the cache folder for the warm timings

        def warm_disk() -> None:
            history_module.clear_cache()
            load_history(repo, FOLDERS)

        def warm_memory() -> None:
            load_history(repo, FOLDERS)

        t_plain = best_of(args.runs, plain_log)
        t_walk = best_of(args.runs, same_walk_log)
        t_cold = best_of(args.runs, cold)
        t_disk = best_of(args.runs, warm_disk)
        t_memory = best_of(args.runs, warm_memory)
        history = load_history(repo, FOLDERS)
        changes = len(history.all_changes())
        print(f"git log --name-status (plain, all parents)          {t_plain * 1000:8.1f} ms")
        print(f"git log --first-parent -M --name-status (same walk) {t_walk * 1000:8.1f} ms")
        print(f"load_history, cold (no cache)                       {t_cold * 1000:8.1f} ms  ({changes} changes)")
        print(f"load_history, from the cache folder on disk         {t_disk * 1000:8.1f} ms")
        print(f"load_history, in memory (mkdocs serve rebuild)      {t_memory * 1000:8.1f} ms")
        ratio = t_cold / t_plain
        print(f"ratio cold / plain log: {ratio:.2f} (target <= 3)")
        return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
