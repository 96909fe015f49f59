"""The schema fuzzing's stateful phase: linked operations, where each step acts on what an
earlier one created, as the role that would. A photo is uploaded, then attached to a report;
the report is followed, accepted, dispatched, resolved, checked, closed, rated and reopened;
a reward is created, redeemed, cancelled or its voucher used; a patrol is started, tracked
and ended. Hypothesis picks the order and the free text (with NUL, lone surrogates and emoji
among it), so a step also meets objects in states the happy path never leaves them in.

Every answer is checked as in the other phases (no 5xx, documented status, media type and
schema), and a refused filing must leave nothing behind (the citizen's list is unchanged)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    rule,
    run_state_machine_as_test,
)

from tests.fuzz_support import status_classes
from tests.helpers import jpeg_bytes
from tests.hostile import LONE_SURROGATES, NUL_TEXT

TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from([NUL_TEXT, *LONE_SURROGATES, "井盖松动 🚧", ""]),
)
IN_GRID = (36.0572, 120.3738)


@dataclass
class StatefulRun:
    steps: int = 0
    statuses: Counter = field(default_factory=Counter)
    created: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self, database: str, sequences: int) -> str:
        made = ", ".join(f"{n} {what}" for what, n in sorted(self.created.items()))
        return (
            f"schema fuzz [{database}] linked operations: {sequences} sequences, "
            f"{self.steps} requests, {status_classes(self.statuses)}; created {made}; "
            f"{self.seconds:.0f} s"
        )


def linked_machine(schema, world, *, base: str, checks: list, run: StatefulRun):
    session = requests.Session()
    categories = world.values("*", "report_category") or ["E0102"]
    handler_unit = world.values("*", "handler_unit")

    class LinkedOperations(RuleBasedStateMachine):
        photos = Bundle("photos")
        staff_photos = Bundle("staff_photos")
        reports = Bundle("reports")
        rewards = Bundle("rewards")
        redemptions = Bundle("redemptions")
        patrols = Bundle("patrols")

        def call(self, role: str, method: str, template: str, **parts: Any) -> requests.Response:
            """Send one request as ``role`` and check the answer against the document."""
            files = parts.pop("files", None)
            operation = schema[template][method]
            body = (
                {"body": parts["body"], "media_type": "application/json"} if "body" in parts else {}
            )
            case = operation.Case(
                path_parameters=parts.get("path_parameters"), query=parts.get("query"), **body
            )
            auth = world.headers[role]
            if files is not None:
                response = session.post(f"{base}{template}", files=files, headers=auth, timeout=60)
            else:
                response = case.call(base_url=base, session=session, headers=auth)
            run.steps += 1
            run.statuses[response.status_code] += 1
            case.validate_response(response, checks=checks, headers=auth)
            return response

        def made(self, what: str, response: requests.Response, missing: str):
            """The created object's id; else an id naming nothing, so the bundles (and with
            them Hypothesis's draws) do not depend on the server's answers."""
            if response.status_code in (200, 201):
                run.created[what] += 1
                body = response.json()
                return body["reward"]["id"] if what == "rewards" else body["id"]
            return missing

        @initialize(target=patrols)
        def the_running_patrol(self):
            """The server outlives each sequence: the inspector's patrol left running (one
            at a time) is where this sequence starts."""
            return self.running_patrols()[0] if self.running_patrols() else "p_0"

        def running_patrols(self) -> list[str]:
            mine = self.call("inspector", "GET", "/api/inspector/patrols")
            return [p["id"] for p in mine.json() if p["endedAt"] is None]

        @rule(target=photos, seed=st.integers(0, 10_000))
        def citizen_uploads_a_photo(self, seed):
            files = {"file": ("photo.jpg", jpeg_bytes((96, 64), seed=seed), "image/jpeg")}
            response = self.call("citizen", "POST", "/api/citizen/media", files=files)
            return self.made("photos", response, "m_0")

        @rule(
            target=staff_photos, role=st.sampled_from(["inspector", "handler"]), seed=st.integers()
        )
        def staff_uploads_a_photo(self, role, seed):
            files = {"file": ("after.jpg", jpeg_bytes((96, 64), seed=seed % 10_000), "image/jpeg")}
            response = self.call(role, "POST", "/api/inspector/media", files=files)
            return self.made("staff photos", response, "m_0")

        @rule(
            target=reports,
            photo=consumes(photos),
            category=st.sampled_from(categories),
            text=TEXT,
            nudge=st.floats(-0.002, 0.002),
        )
        def citizen_files_a_report(self, photo, category, text, nudge):
            before = self.my_report_count()
            body = {
                "category": category,
                "location": {"lat": IN_GRID[0] + nudge, "lon": IN_GRID[1] + nudge},
                "mediaIds": [photo],
                "description": text,
            }
            response = self.call("citizen", "POST", "/api/citizen/reports", body=body)
            if response.status_code >= 400:
                assert self.my_report_count() == before, "a refused report left a case behind"
            return self.made("reports", response, "k_0")

        @rule(target=reports, seed=st.integers(0, 10_000), category=st.sampled_from(categories))
        def citizen_snaps_and_files(self, seed, category):
            photo = self.citizen_uploads_a_photo(seed)
            return self.citizen_files_a_report(photo, category, "", 0.0)

        def my_report_count(self) -> int:
            listed = self.call("citizen", "GET", "/api/citizen/reports", query={"limit": 100})
            return len(listed.json()["items"])

        @rule(case_id=reports)
        def another_citizen_follows(self, case_id):
            self.act_on(case_id, "citizen2", "/api/citizen/reports/{case_id}/follow")

        @rule(
            case_id=reports,
            action=st.sampled_from(
                ["accept", "reject", "dispatch", "suspend", "resume", "cancel", "close", "rework"]
            ),
            text=TEXT,
        )
        def operator_acts(self, case_id, action, text):
            body = {"reason": text or "核实", "note": text}
            if action in ("dispatch", "resume") and handler_unit:
                body["unitId"] = handler_unit[0]
            self.act_on(case_id, "operator", "/api/admin/cases/{case_id}/{action}", body, action)

        @rule(case_id=reports, valid=st.booleans(), text=TEXT)
        def inspector_verifies(self, case_id, valid, text):
            self.staff_step("inspector", case_id, "verify", {"valid": valid, "note": text})

        @rule(case_id=reports, photo=consumes(staff_photos), text=TEXT)
        def handler_resolves(self, case_id, photo, text):
            self.staff_step("handler", case_id, "resolve", {"mediaIds": [photo], "note": text})

        @rule(case_id=reports, passed=st.booleans(), text=TEXT)
        def inspector_checks(self, case_id, passed, text):
            self.staff_step("inspector", case_id, "check", {"passed": passed, "note": text})

        @rule(case_id=reports, photo=consumes(staff_photos))
        def inspector_closes(self, case_id, photo):
            self.staff_step("inspector", case_id, "close", {"mediaIds": [photo]})

        def staff_step(self, role, case_id, step, body):
            self.act_on(case_id, role, f"/api/inspector/cases/{{case_id}}/{step}", body)

        def act_on(self, case_id, role, template, body=None, action=None):
            """POST to a case's route; ``action`` fills the admin route's second parameter."""
            parts = {"path_parameters": {"case_id": case_id}}
            if action:
                parts["path_parameters"]["action"] = action
            self.call(role, "POST", template, **parts, **({"body": body} if body else {}))

        @rule(case_id=reports)
        def the_case_is_pushed_through(self, case_id):
            """The happy path in one step, so rating and reopening meet closed cases."""
            self.operator_acts(case_id, "accept", "")
            if handler_unit:
                self.operator_acts(case_id, "dispatch", "")
            photo = self.call(
                "handler",
                "POST",
                "/api/inspector/media",
                files={"file": ("a.jpg", jpeg_bytes((96, 64), seed=7), "image/jpeg")},
            )
            if photo.ok:
                self.handler_resolves(case_id, photo.json()["id"], "已处理")
            self.inspector_checks(case_id, True, "")

        @rule(case_id=reports, score=st.integers(0, 6), text=TEXT)
        def citizen_rates(self, case_id, score, text):
            body = {"score": score, "comment": text}
            self.act_on(case_id, "citizen", "/api/citizen/reports/{case_id}/rating", body)

        @rule(case_id=reports, text=TEXT)
        def citizen_reopens(self, case_id, text):
            self.act_on(
                case_id, "citizen", "/api/citizen/reports/{case_id}/reopen", {"reason": text}
            )

        @rule(case_id=reports, role=st.sampled_from(["citizen", "citizen2", "inspector"]))
        def someone_looks(self, case_id, role):
            if role == "inspector":
                template = "/api/inspector/cases/{case_id}"
            else:
                template = "/api/citizen/reports/{case_id}"
            self.call(role, "GET", template, path_parameters={"case_id": case_id})
            self.call(
                "anonymous",
                "GET",
                "/open311/v2/requests/{name}",
                path_parameters={"name": f"{case_id}.json"},
            )

        @rule(target=rewards, name=TEXT, cost=st.integers(1, 30), stock=st.integers(0, 3))
        def admin_creates_a_reward(self, name, cost, stock):
            body = {"name": name or "公交卡", "cost": cost, "stock": stock, "fulfilment": "voucher"}
            response = self.call("admin", "POST", "/api/admin/rewards", body=body)
            return self.made("rewards", response, "rw_0")

        @rule(target=redemptions, reward_id=rewards)
        def citizen_redeems(self, reward_id):
            response = self.call(
                "citizen",
                "POST",
                "/api/citizen/rewards/{reward_id}/redeem",
                path_parameters={"reward_id": reward_id},
            )
            if response.status_code in (200, 201):
                run.created["redemptions"] += 1
                return (response.json()["id"], response.json()["voucherCode"])
            return ("rd_0", "0000-0000")

        @rule(redemption=redemptions)
        def citizen_cancels(self, redemption):
            self.call(
                "citizen",
                "POST",
                "/api/citizen/redemptions/{redemption_id}/cancel",
                path_parameters={"redemption_id": redemption[0]},
            )

        @rule(redemption=redemptions, place=TEXT)
        def a_counter_takes_the_voucher(self, redemption, place):
            self.call(
                "inspector",
                "POST",
                "/api/inspector/vouchers/verify",
                body={"code": redemption[1], "place": place or "服务台"},
            )

        @rule(target=patrols)
        def inspector_starts_a_patrol(self):
            """One patrol runs at a time: the running one is ended first."""
            for patrol_id in self.running_patrols():
                self.inspector_ends_the_patrol(patrol_id)
            body = {"location": {"lat": IN_GRID[0], "lon": IN_GRID[1]}}
            response = self.call("inspector", "POST", "/api/inspector/patrols", body=body)
            return self.made("patrols", response, "p_0")

        @rule(patrol_id=patrols, steps=st.lists(st.floats(-1e-3, 1e-3), max_size=5))
        def inspector_walks(self, patrol_id, steps):
            now = time.time()
            fixes = [
                {
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + i)),
                    "lat": IN_GRID[0] + step,
                    "lon": IN_GRID[1] + step,
                }
                for i, step in enumerate(steps)
            ]
            self.call(
                "inspector",
                "POST",
                "/api/inspector/patrols/{patrol_id}/track",
                path_parameters={"patrol_id": patrol_id},
                body={"fixes": fixes},
            )

        @rule(patrol_id=consumes(patrols))
        def inspector_ends_the_patrol(self, patrol_id):
            self.call(
                "inspector",
                "POST",
                "/api/inspector/patrols/{patrol_id}/end",
                path_parameters={"patrol_id": patrol_id},
                body={},
            )

    return LinkedOperations, session


def fuzz_linked(
    schema, world, *, base: str, checks: list, sequences: int, steps: int, seed: int
) -> StatefulRun:
    from hypothesis import seed as fixed_seed

    run = StatefulRun()
    machine, session = linked_machine(schema, world, base=base, checks=checks, run=run)
    started = time.monotonic()
    try:
        fixed_seed(seed)(machine)  # run_state_machine_as_test honours it
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=sequences,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            ),
        )
    finally:
        session.close()
        run.seconds = time.monotonic() - started
    return run
