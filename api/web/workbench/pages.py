"""Every controller of /workbench, in one list the router mounts. A new page: write its
controller module beside the others and add it here (and its entry to templating.NAV)."""

from __future__ import annotations

from api.web.workbench.alerts import AlertPages
from api.web.workbench.cases import CasePages
from api.web.workbench.map import MapPage
from api.web.workbench.map_data import MapDataController
from api.web.workbench.places import PlacePages
from api.web.workbench.queue import QueuePages
from api.web.workbench.session import SessionPages
from api.web.workbench.signposts import SignpostPages
from api.web.workbench.stats import StatsPages
from api.web.workbench.stream import StreamPages

PAGES: list = [
    SessionPages,
    QueuePages,
    CasePages,
    AlertPages,
    StreamPages,
    MapPage,
    MapDataController,
    PlacePages,
    SignpostPages,
    StatsPages,
]
