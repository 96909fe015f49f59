"""What the workbench's files promise: nothing inline for the CSP to refuse, vendored files
as published (VERSION.txt's hashes), and the pages' script and style weight."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[4] / "api" / "web"
TEMPLATES = sorted((WEB / "templates" / "workbench").rglob("*.html"))
INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "a <script> without src"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on (needs eval)"),
]


def test_templates_have_nothing_inline():
    assert len(TEMPLATES) >= 10
    found = []
    for path in TEMPLATES:
        text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)
        for pattern, what in INLINE:
            if pattern.search(text):
                found.append(f"{path.name}: {what}")
    assert not found, found


def test_vendored_files_are_as_published():
    vendor = sorted((WEB / "static" / "vendor").iterdir())
    assert {v.name for v in vendor} >= {"htmx-2.0.10", "htmx-ext-sse-2.2.4"}
    for folder in vendor:
        lines = (folder / "VERSION.txt").read_text().splitlines()
        assert "@" in lines[0]
        for line in lines[1:]:
            digest, name = line.split()
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
        assert (folder / "LICENSE.txt").exists()


def test_a_page_without_a_map_loads_at_most_40_kb_of_script_and_style():
    static = WEB / "static"
    files = [
        "vendor/htmx-2.0.10/htmx.min.js",
        "vendor/htmx-ext-sse-2.2.4/sse.min.js",
        "workbench/app.js",
        "workbench/app.css",
    ]
    total = sum(len(gzip.compress((static / name).read_bytes())) for name in files)
    assert total <= 40 * 1024, total
