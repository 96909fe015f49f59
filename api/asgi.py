"""ASGI entry point for uvicorn: `uvicorn api.asgi:app`."""

from api.app import create_asgi_app

app = create_asgi_app()
