"""What the documented commands write stays out of git: a newcomer who runs them from a
clone sees a clean `git status`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.requirements import missing

DRAW_OPTION = re.compile(r"\bplate_service read\b.*--draw[ =](\S+)")


def _shell_lines(markdown: str) -> list[str]:
    """The lines of the fenced code blocks of a Markdown text."""
    lines, inside = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    return lines


def _documented_draw_folders() -> set[str]:
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    return {match[1] for page in pages
            for line in _shell_lines(page.read_text(encoding="utf-8"))
            if (match := DRAW_OPTION.search(line))}


def _ignored_by_git(path: Path) -> bool:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        missing("not a git checkout with git installed")
    check = subprocess.run(["git", "check-ignore", "--quiet", "--no-index", str(path)],
                           cwd=REPO_ROOT, check=False)
    assert check.returncode in (0, 1), "git check-ignore failed"
    return check.returncode == 0


def test_the_documented_cli_draw_folders_are_ignored_by_git() -> None:
    folders = _documented_draw_folders()
    assert folders, "no `plate_service read --draw DIR` example found in README.md or docs/"
    for folder in folders:
        assert _ignored_by_git(REPO_ROOT / folder / "photo.jpg"), folder


def test_a_folder_git_tracks_is_not_reported_as_ignored() -> None:
    assert not _ignored_by_git(REPO_ROOT / "docs" / "photo.jpg")
