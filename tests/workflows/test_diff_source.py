"""The `diff` source on real git repositories: what changed, and exactly which lines were added."""

from __future__ import annotations

from pathlib import Path

import pytest

from swath.items.diff import DiffItemData
from swath.sources import registry as sources
from swath.sources.diff import DiffError, unquote_path
from tests.gitrepo import commit_files, git, init_repo
from tests.workflows.helpers import by_path, diff_items, stage, write


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit_files(
        root,
        {
            "app.py": "a = 1\nb = 2\nc = 3\n",
            "move_me.py": "one\ntwo\nthree\nfour\nfive\n",
            "edit_and_move.py": "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\n",
            "gone.py": "bye\n",
            ".gitignore": "*.log\n",
        },
    )
    write(root, {"logo.bin": b"\x00\x01\x02binary"})
    git(root, "add", "logo.bin")
    git(root, "commit", "-q", "-m", "binary")
    return root


def test_is_registered() -> None:
    assert "diff" in sources.names()


def test_modified_file_reports_added_lines_in_working_tree_numbering(repo: Path) -> None:
    write(repo, {"app.py": "a = 1\nB = 20\nc = 3\nd = 4\ne = 5\n"})
    item = by_path(diff_items(repo))["app.py"]
    assert item.id == "app.py" and item.kind == "diff" and item.files == ["app.py"]
    d = item.data
    assert (
        d["status"] == "modified" and d["base"] == "HEAD" and d["added"] == 3 and d["removed"] == 1
    )
    assert [(h["new_start"], h["new_count"], h["added"], h["removed"]) for h in d["hunks"]] == [
        (1, 1, ["B = 20"], ["b = 2"]),
        (3, 2, ["d = 4", "e = 5"], []),
    ]


def test_staged_and_unstaged_changes_both_count(repo: Path) -> None:
    write(repo, {"app.py": "a = 1\nb = 2\nc = 3\nstaged = 1\n"})
    stage(repo, "app.py")
    write(repo, {"app.py": "a = 1\nb = 2\nc = 3\nstaged = 1\nunstaged = 2\n"})
    hunks = by_path(diff_items(repo))["app.py"].data["hunks"]
    assert [t for h in hunks for t in h["added"]] == ["staged = 1", "unstaged = 2"]


def test_pure_rename_has_no_added_lines(repo: Path) -> None:
    git(repo, "mv", "move_me.py", "moved.py")
    item = by_path(diff_items(repo))["moved.py"]
    assert item.data["status"] == "renamed" and item.data["old_path"] == "move_me.py"
    assert item.data["hunks"] == [] and item.data["added"] == 0


def test_rename_with_an_edit_reports_only_the_edit(repo: Path) -> None:
    git(repo, "mv", "edit_and_move.py", "edited.py")
    write(repo, {"edited.py": "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\n"})
    items = by_path(diff_items(repo))
    assert "edit_and_move.py" not in items
    item = items["edited.py"]
    assert item.data["status"] == "renamed" and item.data["old_path"] == "edit_and_move.py"
    assert [(h["new_start"], h["added"]) for h in item.data["hunks"]] == [(6, ["eta"])]


def test_deleted_file_is_an_item_without_files_or_hunks(repo: Path) -> None:
    (repo / "gone.py").unlink()
    item = by_path(diff_items(repo))["gone.py"]
    assert item.data["status"] == "deleted" and item.files == [] and item.data["hunks"] == []
    assert item.data["removed"] == 1


def test_binary_change_is_flagged_without_hunks(repo: Path) -> None:
    write(repo, {"logo.bin": b"\x00\x01\x02changed"})
    item = by_path(diff_items(repo))["logo.bin"]
    assert (
        item.data["binary"] is True
        and item.data["hunks"] == []
        and item.data["status"] == "modified"
    )


def test_untracked_files_count_as_added_unless_ignored_or_turned_off(repo: Path) -> None:
    write(repo, {"new/mod.py": "x = 1\ny = 2", "debug.log": "noise\n", "blob.dat": b"\x00\x00"})
    items = by_path(diff_items(repo))
    item = items["new/mod.py"]
    assert item.data["status"] == "untracked"
    assert item.data["hunks"] == [
        {
            "new_start": 0,
            "new_count": 2,
            "old_start": 0,
            "old_count": 0,
            "header": "",
            "added": ["x = 1", "y = 2"],
            "removed": [],
        }
    ]
    assert "debug.log" not in items  # .gitignore'd
    assert items["blob.dat"].data["binary"] is True and items["blob.dat"].data["hunks"] == []
    assert "new/mod.py" not in by_path(diff_items(repo, untracked=False))


def test_new_staged_file_is_added(repo: Path) -> None:
    write(repo, {"added.py": "print('hi')\n"})
    stage(repo, "added.py")
    item = by_path(diff_items(repo))["added.py"]
    assert item.data["status"] == "added" and item.data["hunks"][0]["added"] == ["print('hi')"]


def test_base_uses_the_merge_base_not_later_commits_on_base(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"feature.py": "f = 1\n"}, message="feature work")
    git(repo, "checkout", "-q", "main")
    commit_files(
        repo,
        {"mainline.py": "m = 1\n", "app.py": "a = 1\nb = 2\nc = 3\nlater = 4\n"},
        message="main moves",
    )
    git(repo, "checkout", "-q", "feature")
    write(repo, {"wip.py": "w = 1\n"})
    items = by_path(diff_items(repo, base="main"))
    assert set(items) == {"feature.py", "wip.py"}  # nothing of main's later commit, reversed or not
    assert items["feature.py"].data["status"] == "added"
    assert items["feature.py"].data["base"].startswith("main (merge base ")
    # Without merge_base the later main commit shows up (as deletions and a reverted edit).
    raw = by_path(diff_items(repo, base="main", merge_base=False))
    assert "mainline.py" in raw and raw["mainline.py"].data["status"] == "deleted"


def test_unknown_base_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(DiffError, match="base 'nope' is not a commit"):
        diff_items(repo, base="nope")


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x\n")
    with pytest.raises(DiffError, match="not a git repository"):
        diff_items(tmp_path)
    with pytest.raises(DiffError, match="not a git repository"):
        diff_items(tmp_path, base="main")


def test_against_head_the_diff_is_the_first_git_process(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No `rev-parse` before the diff (is this a repository, has it a HEAD): asked only
    when the diff fails. The untracked files are listed beside the diff (a process started
    just before it); then whether the tree has tests."""
    import subprocess

    ran: list[str] = []
    real = subprocess.Popen

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, args: list[str], *a: object, **k: object) -> None:
            if args[0] == "git":
                ran.append(args[3])
            super().__init__(args, *a, **k)

    write(repo, {"app.py": "a = 1\nb = 2\n", "new.py": "n = 1\n"})
    monkeypatch.setattr(subprocess, "Popen", Counting)
    items = by_path(diff_items(repo))
    assert sorted(items) == ["app.py", "new.py"]
    assert ran == ["ls-files", "diff", "ls-files"]


def test_repository_without_commits(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "fresh")
    write(root, {"staged.py": "s = 1\n", "loose.py": "l = 1\n"})
    stage(root, "staged.py")
    items = by_path(diff_items(root))
    assert (
        items["staged.py"].data["status"] == "added"
        and items["loose.py"].data["status"] == "untracked"
    )
    assert items["staged.py"].data["base"] == "(no commits yet)"


def test_per_hunk_items(repo: Path) -> None:
    write(repo, {"app.py": "a = 1\nB = 20\nc = 3\nd = 4\n"})
    items = [i for i in diff_items(repo, per="hunk") if i.path == "app.py"]
    assert [(i.id, i.kind, i.data["hunk"], i.data["hunks"][0]["added"]) for i in items] == [
        ("app.py#1", "hunk", 1, ["B = 20"]),
        ("app.py#2", "hunk", 2, ["d = 4"]),
    ]


def test_paths_globs_and_deny_list_limit_the_items(repo: Path) -> None:
    write(
        repo,
        {
            "app.py": "a = 1\nb = 2\nc = 3\nx = 1\n",
            "sub/new.ts": "let x = 1;\n",
            ".env": "TOKEN=abc\n",
            "sub/data.lock": "lock\n",
        },
    )
    assert set(by_path(diff_items(repo, paths=["sub"]))) == {"sub/new.ts", "sub/data.lock"}
    assert set(by_path(diff_items(repo, exclude=["*.lock"]))) == {
        "app.py",
        "sub/new.ts",
    }  # .env: denied
    assert set(by_path(diff_items(repo, include=["*.py"]))) == {"app.py"}


def test_odd_file_names(repo: Path) -> None:
    commit_files(repo, {'q"uote.py': "q = 1\n", "café.py": "c = 1\n", "with space.py": "w = 1\n"})
    write(
        repo,
        {
            'q"uote.py': "q = 1\nq2 = 2\n",
            "café.py": "c = 1\nc2 = 2\n",
            "with space.py": "w = 1\nw2 = 2\n",
        },
    )
    items = by_path(diff_items(repo))
    for name, added in [
        ('q"uote.py', "q2 = 2"),
        ("café.py", "c2 = 2"),
        ("with space.py", "w2 = 2"),
    ]:
        assert items[name].data["hunks"][0]["added"] == [added]
    assert unquote_path(r'"a/caf\303\251\t.py"') == "a/café\t.py"


def test_line_endings_follow_the_lsp(repo: Path) -> None:
    commit_files(repo, {"crlf.py": "a = 1\r\nb = 2\r\n"})
    write(repo, {"crlf.py": "a = 1\r\nb = 2\r\nc = 3\r\n"})
    assert by_path(diff_items(repo))["crlf.py"].data["hunks"][0]["added"] == ["c = 3"]
    # A lone \r is a line break for the editor (and the verifier), not for git.
    write(repo, {"cr.txt": b"one\rtwo\nthree\n"})
    git(repo, "add", "cr.txt")
    git(repo, "commit", "-q", "-m", "cr")
    write(repo, {"cr.txt": b"one\rtwo\nthree\nfour\rfive\n"})
    hunk = by_path(diff_items(repo))["cr.txt"].data["hunks"][0]
    assert (hunk["new_start"], hunk["new_count"], hunk["added"]) == (3, 2, ["four", "five"])


def test_added_text_is_capped_but_ranges_are_not(repo: Path) -> None:
    write(repo, {"big.py": "".join(f"x{i} = {i}\n" for i in range(30))})
    item = by_path(diff_items(repo, max_lines=10))["big.py"]
    assert item.data["truncated"] is True and item.data["added"] == 30
    assert item.data["hunks"][0]["new_count"] == 30 and len(item.data["hunks"][0]["added"]) == 10


def test_move_without_git_mv_is_a_rename_when_the_bytes_match(repo: Path) -> None:
    (repo / "move_me.py").rename(repo / "moved_by_hand.py")
    (repo / "gone.py").rename(repo / "gone_and_edited.py")
    (repo / "gone_and_edited.py").write_text("bye\nagain\n")
    items = by_path(diff_items(repo))
    assert "move_me.py" not in items
    moved = items["moved_by_hand.py"].data
    assert (moved["status"], moved["old_path"], moved["hunks"]) == ("renamed", "move_me.py", [])
    # edited on the way: git cannot tell without the index, so it stays deleted + new
    assert items["gone.py"].data["status"] == "deleted"
    assert items["gone_and_edited.py"].data["status"] == "untracked"
    assert not any(k.startswith("_") for i in items.values() for k in i.data)


def test_denied_files_are_never_items_whatever_their_path(repo: Path) -> None:
    """git leaves them out (exclude pathspecs), so a quoted or spaced path cannot slip through."""
    denied = ["conf dir/.env", 'we"ird/.env', "tab\there/.netrc", "ünï/.npmrc", "k/id_ed25519"]
    commit_files(repo, {p: "old\n" for p in denied})
    write(repo, {p: "DB_PASSWORD=hunter2hunter2\n" for p in denied})
    write(repo, {"app.py": "a = 1\nb = 2\nc = 3\nd = 4\n"})
    items = diff_items(repo)
    assert [i.id for i in items] == ["app.py"]
    assert "hunter2" not in repr([i.data for i in items])


def test_a_subfolder_workspace_sees_only_its_own_changes(repo: Path) -> None:
    commit_files(repo, {"pkg/mod.py": "x = 1\n"})
    write(repo, {"pkg/mod.py": "x = 2\n", "app.py": "changed = True\n"})
    items = diff_items(repo / "pkg")
    assert [i.id for i in items] == ["mod.py"]


@pytest.mark.parametrize("per", ["file", "hunk"])
def test_the_items_data_is_the_shared_model_whole(repo: Path, per: str) -> None:
    """What the source writes, `swath.items.diff` reads back key for key (the review analyzers
    read it through the model): no key the model does not know, none it would add."""
    write(repo, {"app.py": "a = 1\nB = 20\nc = 3\nd = 4\n", "new.py": "x = 1\n"})
    git(repo, "mv", "move_me.py", "moved.py")
    git(repo, "rm", "-q", "gone.py")
    items = diff_items(repo, per=per)
    assert {i.kind for i in items} == ({"diff"} if per == "file" else {"diff", "hunk"})
    for item in items:
        change = DiffItemData.model_validate(item.data)
        assert change.as_item_data() == item.data
        assert list(change.as_item_data()) == list(item.data)
    hunks = [i for i in items if i.kind == "hunk"]
    assert [DiffItemData.read(i.data).hunk for i in hunks] == [1, 2, 1][: len(hunks)]


def test_an_item_of_another_kind_reads_as_a_change_with_nothing_added() -> None:
    other = DiffItemData.read({"status": 3, "hunks": "none", "lines": 12})
    assert other == DiffItemData() and other.added_lines() == set() and other.status is None


def test_an_items_data_reads_once_as_the_same_change(tmp_path: Path) -> None:
    # Every pass reads every item: the same dict is one validation, and one change object.
    root = init_repo(tmp_path / "r")
    commit_files(root, {"a.py": "x = 1\n"})
    write(root, {"a.py": "x = 1\ny = 2\n"})
    [item] = diff_items(root)
    first = DiffItemData.read(item.data)
    assert DiffItemData.read(item.data) is first and first.added_lines() == {1}
    # Equal content in another dict (another item, another run) is read on its own.
    copy = dict(item.data)
    assert DiffItemData.read(copy) == first and DiffItemData.read(copy) is not first
    assert DiffItemData.read({"hunks": "none"}) == DiffItemData()
