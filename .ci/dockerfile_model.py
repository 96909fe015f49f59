"""What the Dockerfile and its build context say, read without running anything.

The Dockerfile's instructions, a RUN line's `&&` parts, exec-form commands and HEALTHCHECK
durations; the build context `docker build .` would send (.dockerignore applied); and where
an absolute image path lives in the scratch directory that stands in for the image filesystem.
Used by dockerfile_steps.py, which runs the steps (stdlib only).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Executables and devices come from this machine; every other absolute path is the image's.
HOST_OWNED = ("/dev", "/proc", "/sys", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/lib", "/lib64")
# An absolute path starts a word (not a URL's //host or /path, nor a $VAR); sqlite:////abs too.
ABS_PATH = re.compile(r"(?:(?<![\w.:/$}-])|(?<=sqlite:///))/[\w.@%+,/*-]*")


def parse_dockerfile(text: str) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    steps, buffer, start = [], "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith("#") or (not buffer and not line.strip()):
            continue
        start = start or number
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1]
            continue
        word, _, rest = (buffer + line).strip().partition(" ")
        steps.append((start, word.upper(), rest.strip()))
        buffer, start = "", 0
    return steps


def ignore_matcher(lines: list[str]):
    """The .dockerignore rules of moby's patternmatcher: `**` spans directories, the last
    matching line wins, `!` re-includes, a pattern matching a parent excludes its contents."""
    rules = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        regex, i = "", 0
        while i < len(pattern):
            ch = pattern[i]
            if pattern.startswith("**", i):
                i += 3 if pattern[i + 2 : i + 3] == "/" else 2
                regex += ".*" if i >= len(pattern) else "(.*/)?"
                continue
            if ch == "\\" and i + 1 < len(pattern):
                regex, i = regex + re.escape(pattern[i + 1]), i + 2
                continue
            regex += {"*": "[^/]*", "?": "[^/]"}.get(ch, re.escape(ch))
            i += 1
        rules.append((negate, re.compile(f"^{regex}$")))

    def ignored(rel: str) -> bool:
        parts, verdict = rel.split("/"), False
        for negate, regex in rules:
            if any(regex.match("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
                verdict = not negate
        return verdict

    return ignored, any(negate for negate, _ in rules)


def context_files() -> list[str]:
    """What `docker build .` sends: the directory, minus what .dockerignore excludes."""
    ignore_file = REPO / ".dockerignore"
    ignored, has_exceptions = ignore_matcher(
        ignore_file.read_text().splitlines() if ignore_file.exists() else []
    )
    files = []
    for here, dirs, names in os.walk(REPO):
        prefix = os.path.relpath(here, REPO) + "/"
        prefix = "" if prefix == "./" else prefix
        if not has_exceptions:  # an excluded directory cannot hold a re-included file
            dirs[:] = [d for d in dirs if not ignored(prefix + d)]
        files += [prefix + n for n in names if not ignored(prefix + n)]
        files += [prefix + d for d in dirs if os.path.islink(os.path.join(here, d))]
    return sorted(files)


def split_and(command: str) -> list[str]:
    """A RUN line's top-level `cmd && cmd` parts (quotes respected)."""
    parts, current, quote, i = [], "", "", 0
    while i < len(command):
        ch = command[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif command.startswith("&&", i):
            parts.append(current.strip())
            current, i = "", i + 2
            continue
        current += ch
        i += 1
    return [*parts, current.strip()]


def exec_form(args: str) -> list[str]:
    """A CMD or HEALTHCHECK command: the JSON exec form as is, the shell form via /bin/sh -c."""
    args = args.strip()
    return json.loads(args) if args.startswith("[") else ["/bin/sh", "-c", args]


def seconds(value: str) -> float:
    """A HEALTHCHECK duration ("30s" or "30") in seconds."""
    return float(value.rstrip("s")) if value.endswith("s") else float(value)


def host_path(root: Path, image_path: str) -> Path:
    """Where an absolute image path lives under the scratch root standing in for the image."""
    return root / image_path.lstrip("/")


def map_paths(root: Path, text: str) -> str:
    """Every absolute image path in text mapped under root (this machine's own paths kept)."""

    def mapped(match: re.Match) -> str:
        path = match.group(0)
        if any(path == p or path.startswith(p + "/") for p in HOST_OWNED):
            return path
        return str(host_path(root, path))

    return ABS_PATH.sub(mapped, text)
