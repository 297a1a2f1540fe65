"""The README and docs/*.md link to each other's sections: every such link must land."""

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s#:]*)(?:#([^)\s]+))?\)")


def github_anchor(title: str) -> str:
    """GitHub's anchor of a heading: lowercased, punctuation dropped, spaces as hyphens."""
    kept = "".join(char for char in title.strip().lower() if char.isalnum() or char in " -_")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set:
    found, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"#{1,6} (.*)$", line)):
            found.add(github_anchor(heading.group(1)))
    return found


def test_github_anchor_matches_githubs_rule():
    title = 'Ablation ("Which Student is Best?"): soft loss, α, augmentation, word vectors'
    assert (
        github_anchor(title)
        == "ablation-which-student-is-best-soft-loss-α-augmentation-word-vectors"
    )
    assert github_anchor("GLUE SST-2 / dev 872") == "glue-sst-2--dev-872"


@pytest.mark.parametrize("doc", DOCS, ids=[path.name for path in DOCS])
def test_every_relative_link_lands_on_a_file_and_heading(doc: Path):
    broken = []
    for target, anchor in LINK.findall(doc.read_text(encoding="utf-8")):
        path = (doc.parent / target).resolve() if target else doc
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}#{anchor}")
    assert broken == []
