#!/usr/bin/env python3
"""Keeps the docs true to the code they show: a page that says "This is `PATH`" must show, in the
code block that follows, exactly the file PATH of the repository (which the build compiles and the
tests run)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLAIM = re.compile(r"This is `([^`]+)`")


def shown_files(page):
    """(path, code) for each claim on the page."""
    text = page.read_text()
    for claim in CLAIM.finditer(text):
        block = re.compile(r"^```[a-z]*\n(.*?)^```$", re.S | re.M).search(text, claim.end())
        if block is None:
            yield claim.group(1), None
        else:
            yield claim.group(1), block.group(1)


def main():
    failures = []
    checked = 0
    for page in sorted((ROOT / "docs").glob("*.md")):
        for path, code in shown_files(page):
            checked += 1
            source = ROOT / path
            if code is None:
                failures.append(f"{page.name}: no code block after the claim about {path}")
            elif not source.is_file():
                failures.append(f"{page.name}: shows {path}, which does not exist")
            elif source.read_text() != code:
                failures.append(f"{page.name}: the code shown differs from {path}")
    for failure in failures:
        print(failure, file=sys.stderr)
    if checked == 0:
        print("no page claims to show a file; the check would prove nothing", file=sys.stderr)
        return 1
    print(f"{checked} shown file(s) checked")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
