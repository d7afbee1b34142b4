"""docs/errors.md documents exactly the error codes the sources answer with.

Every error response's `Recommend` points at `docs/errors.md#<anchor>` (see `ErrorBody.documentation(of:)`),
so each code needs one `### <Code>` section, with the HTTP statuses it travels with, and no section may
outlive its code. Needs no server.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "Sources"
ERRORS_DOC = REPO / "docs" / "errors.md"

# Every ECSError in the sources is built as `ECSError(code: "...", httpStatus: NNN, ...)`.
CODE_RE = re.compile(r'code:\s*"([A-Za-z.]+)",\s*httpStatus:\s*(\d+)')
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def source_codes() -> Dict[str, Set[int]]:
    """Each code found in Sources/**/*.swift with the HTTP statuses it is defined with."""
    codes: Dict[str, Set[int]] = defaultdict(set)
    for path in sorted(SOURCES.rglob("*.swift")):
        for code, status in CODE_RE.findall(path.read_text(encoding="utf-8")):
            codes[code].add(int(status))
    return dict(codes)


def doc_sections() -> List[tuple]:
    """(level, heading text, body) for every heading of docs/errors.md outside code fences."""
    sections: List[tuple] = []
    in_fence = False
    for line in ERRORS_DOC.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else HEADING_RE.match(line)
        if match:
            sections.append((len(match.group(1)), match.group(2), []))
        elif sections:
            sections[-1][2].append(line)
    return [(level, text, "\n".join(body)) for level, text, body in sections]


def code_sections() -> Dict[str, List[str]]:
    """The body of each `### <Code>` section, by code (a list, to catch duplicates)."""
    found: Dict[str, List[str]] = defaultdict(list)
    for level, text, body in doc_sections():
        if level == 3:
            found[text.strip("`")].append(body)
    return dict(found)


def anchor(code: str) -> str:
    """The anchor `ErrorBody.documentation(of:)` links: lower-cased, only letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9-]", "", code.lower())


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower-cased, spaces to hyphens, other punctuation removed."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def test_sources_define_codes():
    codes = source_codes()
    # A wrong path or a changed construction style would make every other check pass vacuously.
    assert len(codes) >= 50, f"only {len(codes)} codes found under {SOURCES}"
    assert "InvalidImageId.NotFound" in codes


def test_every_code_has_exactly_one_section():
    sections = code_sections()
    missing = sorted(set(source_codes()) - set(sections))
    duplicated = sorted(code for code, bodies in sections.items() if len(bodies) > 1)
    assert not missing, f"codes without a ### section in docs/errors.md: {missing}"
    assert not duplicated, f"codes with more than one section: {duplicated}"


def test_no_stale_sections():
    stale = sorted(set(code_sections()) - set(source_codes()))
    assert not stale, f"docs/errors.md documents codes the sources no longer answer: {stale}"


def test_sections_name_every_http_status():
    sections = code_sections()
    gaps = []
    for code, statuses in sorted(source_codes().items()):
        body = " ".join(sections.get(code, []))
        for status in sorted(statuses):
            if not re.search(rf"(?<!\d){status}(?!\d)", body):
                gaps.append(f"{code} {status}")
    assert not gaps, f"sections that do not mention a status the sources give their code: {gaps}"


def test_anchors_are_distinct():
    codes = sorted(source_codes())
    by_anchor: Dict[str, List[str]] = defaultdict(list)
    for code in codes:
        by_anchor[anchor(code)].append(code)
    clashes = {a: c for a, c in by_anchor.items() if len(c) > 1 or not a}
    assert not clashes, f"codes sharing an anchor: {clashes}"
    # A code's heading is only the code, so GitHub gives it the same anchor the service links to.
    for code in codes:
        assert github_anchor(code) == anchor(code), code
    # Other headings must not take a code's anchor (GitHub would suffix the later one with -1).
    others = {github_anchor(text) for level, text, _ in doc_sections() if level != 3}
    taken = sorted(others & set(by_anchor))
    assert not taken, f"non-code headings with a code's anchor: {taken}"


def test_anchor_rule_examples():
    assert anchor("InvalidImageId.NotFound") == "invalidimageidnotfound"
    assert anchor("QuotaExceed.ShareImageUser") == "quotaexceedshareimageuser"
