"""Every controller of /workbench, in one list the router mounts. A new page: write its
controller module beside the others and add it here (and its entry to templating.NAV)."""

from __future__ import annotations

from api.web.workbench.queue import QueuePages
from api.web.workbench.session import SessionPages

PAGES: list = [
    SessionPages,
    QueuePages,
]
