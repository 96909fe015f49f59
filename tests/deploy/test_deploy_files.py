"""deploy/: the compose file is valid Compose (the compose-spec JSON schema, as `docker
compose config` checks it, plus what the schema cannot see), its settings are real
settings that start in production, the nginx conf parses, `promtool` accepts the alert
rules and the Prometheus config, and the rules and the Grafana dashboard only name metrics
the service exposes.

`docker compose` is not on the machines this runs on; the schema is compose-spec's own
(tests/deploy/compose-spec.schema.json, github.com/compose-spec/compose-spec at
170098ba07d9f53c383a41bfd4c5166b0a4529a6, Apache-2.0), which `docker compose config`
validates against too."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import msgspec
import pytest
import yaml

from core.settings import PREFIX, Settings, load_settings
from tests.helpers import require_system

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
RULES = DEPLOY / "prometheus" / "cityops-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "cityops-dashboard.json"
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _example_env() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (DEPLOY / "example.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    return {name: value for name, value in pairs}


def _interpolated(text: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, as compose resolves them."""

    def value(match: re.Match) -> str:
        whole, name = match.group(0), match.group(1)
        if name in env and env[name] != "":
            return env[name]
        if ":-" in whole:
            return whole.split(":-", 1)[1][:-1]
        raise AssertionError(f"{name} is required and not set")

    return _VARIABLE.sub(value, text)


def test_the_compose_file_matches_the_compose_spec():
    schema = json.loads((Path(__file__).parent / "compose-spec.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(_compose()), key=lambda e: list(e.path)
    )
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_schema_check_can_fail():
    schema = json.loads((Path(__file__).parent / "compose-spec.schema.json").read_text())
    broken = _compose()
    broken["services"]["worker"]["depends_on"] = 42
    broken["services"]["api"]["restart_policy"] = "always"  # not a service key
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) >= 2


def test_services_depend_on_services_that_exist_and_run_real_commands():
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "minio", "migrate", "api", "worker", "balancer"} <= set(services)
    for name, service in services.items():
        needs = service.get("depends_on", {})
        assert set(needs) <= set(services), name
    commands = {
        s["command"][1] for s in services.values() if s.get("command", [""])[0] == "cityops"
    }
    assert commands == {"migrate", "serve", "worker"}
    cli = ROOT / ".venv" / "bin" / "cityops"
    for command in commands if cli.exists() else ():
        done = subprocess.run(
            [str(cli), command, "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
    # Periodic tasks run in the worker service only.
    assert services["api"]["environment"]["CITYOPS_WORKER_IN_PROCESS"] == "false"


def test_every_setting_it_sets_exists_and_production_starts_with_them():
    """With the example values in, the API's environment loads as production settings
    (no SystemExit: secrets set, a real SMS vendor, ...), and names only real settings."""
    known = {f"{PREFIX}{field.name.upper()}" for field in msgspec.structs.fields(Settings)}
    env = _example_env()
    text = _interpolated(COMPOSE.read_text(), env)
    api = yaml.safe_load(text)["services"]["api"]["environment"]
    unknown = {name for name in api if name.startswith(PREFIX)} - known
    assert not unknown
    settings = load_settings({name: str(value) for name, value in api.items()})
    assert settings.env == "production" and settings.media_storage == "s3"
    assert settings.database_url.startswith("postgresql://cityops:")
    # Every variable the file requires is in the example, and nothing else is.
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE.read_text()))
    assert required == set(env)
    with pytest.raises(AssertionError, match="CITYOPS_JWT_SECRET"):
        _interpolated(
            COMPOSE.read_text(), {k: v for k, v in env.items() if k != "CITYOPS_JWT_SECRET"}
        )


def test_the_nginx_conf_parses(tmp_path):
    nginx = shutil.which("nginx") or (shutil.which("nginx", path="/usr/sbin:/sbin"))
    require_system("nginx", nginx is not None, "apt-get install -y nginx (as .ci/run does)")
    # "api" resolves only on the compose network: point the upstream at loopback.
    conf = (DEPLOY / "nginx" / "cityops.conf").read_text().replace("api:8000", "127.0.0.1:9")
    (tmp_path / "cityops.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n"
        f"  include {tmp_path}/cityops.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _promtool() -> str:
    found = shutil.which("promtool")
    require_system("promtool", found is not None, "apt-get install -y prometheus (as .ci/run does)")
    return found  # type: ignore[return-value]


def test_promtool_accepts_the_alert_rules_and_the_prometheus_config():
    promtool = _promtool()
    for args in (["check", "rules", str(RULES)], ["check", "config", "prometheus.yml"]):
        done = subprocess.run(
            [promtool, *args],
            cwd=DEPLOY / "prometheus",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_refuses_a_broken_rule(tmp_path):
    promtool = _promtool()
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(\n")
    done = subprocess.run(
        [promtool, "check", "rules", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0


def _names_in(expr: str) -> set[str]:
    return set(re.findall(r"\bcityops_[a-z0-9_]+", expr))


async def test_rules_and_dashboard_name_only_exposed_metrics(api):
    text = (await api.get("/metrics")).text
    exposed = set(re.findall(r"^# TYPE (cityops_[a-z0-9_]+) (\w+)", text, re.M))
    names = set()
    for name, kind in exposed:
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        if kind == "counter":
            names.add(f"{name}_total" if not name.endswith("_total") else name)
    rules = yaml.safe_load(RULES.read_text())
    used = {
        n for group in rules["groups"] for rule in group["rules"] for n in _names_in(rule["expr"])
    }
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    used |= {n for p in panels for t in p["targets"] for n in _names_in(t["expr"])}
    assert used and used <= names, used - names
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
