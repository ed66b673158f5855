"""Randomized: several PCs of one station edit the same rows, sync through a link that cuts
connections at random byte offsets and loses answers after the server committed — then the link
is quiet and everyone syncs. All replicas must converge, and no acknowledged write may be lost
(each field ends with that write's value or a later writer's)."""

from __future__ import annotations

import itertools
import json
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from pzh_station.sync_client import RetryPolicy, SyncError
from tests.fault_proxy import FaultProxy
from tests.server_fixtures import start_server
from tests.sync_helpers import PC, server_rows

N_PCS = 3
ROWS = [str(uuid.UUID(int=k + 1)) for k in range(4)]
FIELDS = {
    "title": st.text(alphabet="甲乙丙丁ab", min_size=1, max_size=6),
    "attendance": st.integers(0, 500),
    "deleted": st.booleans(),
}
_counter = itertools.count()


class SyncMachine(RuleBasedStateMachine):
    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        base = self.root / f"run{next(_counter)}"
        self.server = self.stack.enter_context(start_server(base / "server"))
        host, port = self.server.url.removeprefix("http://").split(":")
        self.proxy = self.stack.enter_context(FaultProxy((host, int(port)), max_offset=1500))
        self.station = self.server.create_station("随机测试站", "东区")
        retry = RetryPolicy(attempts=2, base_s=0.001, max_s=0.001)
        self.pcs = [PC(base, f"pc{i}", retry=retry) for i in range(N_PCS)]
        self.faulty_syncs = 0

    @initialize()
    def enroll_all(self) -> None:
        for pc in self.pcs:
            pc.enroll(self.proxy.url, self.server.issue_code(self.station))

    @rule(pc=st.integers(0, N_PCS - 1), row=st.sampled_from(ROWS), data=st.data())
    def edit(self, pc: int, row: str, data) -> None:
        name = data.draw(st.sampled_from(sorted(FIELDS)))
        value = data.draw(FIELDS[name])
        self.pcs[pc].store.write("activities", row, {name: value})

    @rule(
        pc=st.integers(0, N_PCS - 1),
        faulty=st.booleans(),
        seed=st.integers(0, 2**16),
        drop=st.booleans(),
    )
    def sync(self, pc: int, faulty: bool, seed: int, drop: bool) -> None:
        self.proxy.rng.seed(seed)
        self.proxy.cut_probability = 0.5 if faulty else 0.0
        if drop:
            self.proxy.drop_next_responses(1)
        try:
            self.pcs[pc].sync()
        except SyncError as exc:
            assert exc.transient, exc.message  # a bad link may fail a sync, nothing else may
            self.faulty_syncs += 1
        finally:
            self.proxy.cut_probability = 0.0
            self.proxy._drops = 0
        self._acknowledged_are_on_the_server(self.pcs[pc])

    def _acknowledged_are_on_the_server(self, pc: PC) -> None:
        """Every change the server acknowledged to this PC is held by the server right now:
        each of its fields has that value or a later stamp."""
        acked = int(pc.store.meta("sync_acked_seq") or 0)
        srv = server_rows(self.server, "activities", self.station)
        for change in pc.store.pending_changes(0, limit=100_000):
            if change["seq"] > acked:
                break
            row = srv.get(change["row_id"])
            assert row is not None, ("acknowledged row missing on the server", change)
            clocks = json.loads(row["clocks"])
            for name, value in change["fields"].items():
                assert clocks.get(name, "") >= change["stamp"], (
                    "acknowledged write lost",
                    name,
                    change,
                )
                if clocks[name] == change["stamp"]:
                    assert row[name] == (int(value) if isinstance(value, bool) else value)

    def teardown(self) -> None:
        try:
            self.proxy.cut_probability = 0.0
            for _ in range(2):  # quiet: everyone syncs, twice round
                for pc in self.pcs:
                    pc.sync()
            snaps = [pc.snapshot()["activities"] for pc in self.pcs]
            for other in snaps[1:]:
                assert other == snaps[0], "replicas did not converge"
            srv = server_rows(self.server, "activities", self.station)
            fields = ("title", "attendance", "deleted")
            assert {k: tuple(v[f] for f in fields) for k, v in srv.items()} == {
                k: tuple(v[f] for f in fields) for k, v in snaps[0].items()
            }
            # No acknowledged write lost: every write's fields end with its value or a later stamp.
            for pc in self.pcs:
                assert pc.pending() == 0
                for change in pc.store.pending_changes(0, limit=100_000):
                    for replica in self.pcs:
                        row = replica.store.get("activities", change["row_id"])
                        assert row is not None, ("row lost", replica.name, change)
                        clocks = json.loads(row["clocks"])
                        for name, value in change["fields"].items():
                            stamp = clocks.get(name, "")
                            assert stamp >= change["stamp"], (name, stamp, change)
                            if stamp == change["stamp"]:
                                assert row[name] == value
        finally:
            for pc in self.pcs:
                pc.store.close()
            self.stack.close()


def _run(tmp_path: Path, *, examples: int, steps: int) -> None:
    SyncMachine.root = tmp_path
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=False,
        ),
    )


def test_random_edits_syncs_and_faults_converge_without_loss(tmp_path):
    _run(tmp_path, examples=3, steps=20)


@pytest.mark.slow
def test_random_edits_syncs_and_faults_converge_without_loss_long():
    with tempfile.TemporaryDirectory() as d:
        _run(Path(d), examples=40, steps=50)
