"""A client generated from the app's OpenAPI document (openapi-python-client, as an app
developer would) files a report end to end: sign in with WeChat, upload a photo, file the
report with an Idempotency-Key, read it back, and retry to see the replay.

The generator must not warn: a warning means a part of the API the client lacks (two
schemas with one name, a reference it cannot follow), which is a fault of the document
(api/openapi_docs.py), not of the generator. Images are typed as what they are
(image/jpeg...), which the generator maps to bytes by its ``content_type_overrides``.

Run once, on SQLite: the document and the client do not depend on the database."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from api.app import create_asgi_app
from tests.cases_city import IN_GRID, build_city
from tests.conftest import ON_POSTGRES
from tests.helpers import jpeg_bytes

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the document is the same on PostgreSQL")

CONFIG = """\
content_type_overrides:
  image/jpeg: application/octet-stream
  image/png: application/octet-stream
  image/svg+xml: application/octet-stream
  application/zip: application/octet-stream
post_hooks: []
"""
# The modules of the operations used, as the generator names them (tag, then operation id).
OPERATIONS = (
    "citizen_auth.api_citizen_auth_wechat_wechat",
    "media.api_citizen_media_upload",
    "citizen_reports.api_citizen_reports_create",
    "citizen_reports.api_citizen_reports_case_id_one",
)


def generate(document: bytes, root: Path) -> str:
    """Generate the client package ``cityops_client`` under ``root``; the generator's output."""
    (root / "openapi.json").write_bytes(document)
    (root / "config.yml").write_text(CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    run = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(root / "openapi.json"),
            "--config",
            str(root / "config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(root / "cityops_client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    return output


@pytest.fixture
def generated(tmp_path, monkeypatch):
    def load(document: bytes):
        output = generate(document, tmp_path)
        monkeypatch.syspath_prepend(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "cityops_client"]:
            del sys.modules[name]
        return output, lambda module: importlib.import_module(f"cityops_client.{module}")

    yield load
    for name in [m for m in sys.modules if m.split(".")[0] == "cityops_client"]:
        del sys.modules[name]


async def test_a_generated_client_files_a_report(api, generated):
    await build_city(api)
    document = await api.get("/schema/openapi.json")
    assert document.status_code == 200
    output, module = generated(document.content)
    assert "Warning" not in output and "WARNING" not in output, output

    client_module, models, types = (module(name) for name in ("client", "models", "types"))
    wechat, upload, create, read = (module(f"api.{name}") for name in OPERATIONS)
    # The generated client talks HTTP to an app in this process (the suite's database).
    transport = httpx.ASGITransport(app=create_asgi_app(), client=("127.0.0.1", 50001))
    base = {"base_url": "http://testserver", "httpx_args": {"transport": transport}}

    anonymous = client_module.Client(**base)
    signed_in = await wechat.asyncio(
        client=anonymous, body=models.WeChatLoginIn(code=api.wechat_code("generated-client"))
    )
    assert isinstance(signed_in, models.SessionOut), signed_in
    citizen = client_module.AuthenticatedClient(token=signed_in.access_token, **base)

    photo = types.File(payload=io.BytesIO(jpeg_bytes()), file_name="a.jpg", mime_type="image/jpeg")
    media = await upload.asyncio(client=citizen, body=models.UploadForm(file=photo))
    assert isinstance(media, models.MediaOut), media

    report = models.ReportIn(
        category="E0102",
        location=models.Location(lat=IN_GRID[0], lon=IN_GRID[1]),
        media_ids=[media.id],
        description="generated client: 井盖缺失",
    )
    first = await create.asyncio_detailed(client=citizen, body=report, idempotency_key="gen-1")
    assert first.status_code == 201 and isinstance(first.parsed, models.ReportOut), first.content
    assert "Idempotent-Replayed" not in first.headers

    back = await read.asyncio(client=citizen, case_id=first.parsed.id)
    assert isinstance(back, models.ReportOut), back
    assert back.id == first.parsed.id and back.description == report.description

    # The phone lost the answer and retries: the stored first answer, not a second report.
    again = await create.asyncio_detailed(client=citizen, body=report, idempotency_key="gen-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.parsed.id == first.parsed.id

    # A documented error is parsed as a problem, not an unexpected status.
    missing = await read.asyncio(client=citizen, case_id="no-such-case")
    assert isinstance(missing, models.Problem) and missing.status == 404, missing
