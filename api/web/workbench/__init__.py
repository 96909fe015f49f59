"""The command-centre workbench at /workbench: server-rendered pages (Jinja + htmx) over the
same services and authorization as /api/admin. Controllers are listed in ``pages.PAGES``."""
