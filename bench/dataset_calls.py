"""The benchmark's raw CDRs, in the order a switch reports them (by start time).

Deterministic from the seed. Calls spread over ``days`` days before a fixed end instant
(so the same seed gives the same calls on any date): busy office hours, quieter weekends, a
gentle growth over the period, each workspace's busy hours shifted to where its callers
live. About 65 % outgoing, 35 % incoming; about a quarter of the calls fail (busy, no
answer, cancelled, ...), with no talk time.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.dataset_spec import OwnNumber, WorkspaceSpec
from callrec.demo.generator import DESTINATIONS, FAILURES, HOURLY_WEIGHT
from callrec.model import RawCdr

MICROS = 1_000_000
HOUR_US = 3600 * MICROS
DAY_US = 24 * HOUR_US
END_US = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * MICROS
DAYS = 60
OUTGOING_SHARE = 0.65
ANSWERED_SHARE = 0.75
RECORDED_SHARE = 0.2
SOURCE = "bench"
WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 0.95, 0.55, 0.45)  # Monday .. Sunday


def start_us() -> int:
    return END_US - DAYS * DAY_US


def _hour_weights() -> list[float]:
    """Relative traffic of each hour of the period (before the per-workspace shift)."""
    weights = []
    for day in range(DAYS):
        moment = datetime.fromtimestamp((start_us() + day * DAY_US) // MICROS, UTC)
        growth = 1 + 0.2 * day / (DAYS - 1)
        for hour in range(24):
            weights.append(WEEKDAY_WEIGHT[moment.weekday()] * growth * HOURLY_WEIGHT[hour])
    return weights


def calls_per_hour(count: int) -> list[int]:
    """``count`` split over every hour of the period, exactly (largest remainder)."""
    weights = _hour_weights()
    total = sum(weights)
    exact = [count * w / total for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for index in by_remainder[: count - sum(counts)]:
        counts[index] += 1
    return counts


def _workspace_weights_by_hour(specs: Sequence[WorkspaceSpec]) -> list[list[float]]:
    """Cumulative weights of each workspace in each UTC hour of the day."""
    cumulative = []
    for hour in range(24):
        weights = [s.share * HOURLY_WEIGHT[(hour + s.utc_shift_hours) % 24] for s in specs]
        cumulative.append(list(itertools.accumulate(weights)))
    return cumulative


@dataclass(slots=True)
class CallCounts:
    """How many calls each workspace got on each day (index from the period's start)."""

    by_workspace_day: Counter[tuple[str, int]] = field(default_factory=Counter)

    def of(self, workspace: str, day: int) -> int:
        return self.by_workspace_day[(workspace, day)]


CdrFields = tuple[str, str, str, int, int | None, int, int, str, str, str, str]


class CallGenerator:
    """Yields ``count`` RawCdrs in start order; ``counts`` fills in as it goes."""

    def __init__(
        self,
        count: int,
        seed: int,
        specs: Sequence[WorkspaceSpec],
        numbers: dict[str, list[OwnNumber]],
    ) -> None:
        self.count = count
        self.seed = seed
        self.specs = list(specs)
        self.numbers = [numbers[s.name] for s in self.specs]
        self.counts = CallCounts()

    def __iter__(self) -> Iterator[RawCdr]:
        for fields in self.fields():
            yield RawCdr(*fields)

    def fields(self) -> Iterator[CdrFields]:
        """The calls as RawCdr field tuples: cheap to send to another process."""
        rng = random.Random(self.seed)
        cumulative = _workspace_weights_by_hour(self.specs)
        destination_weights = list(itertools.accumulate(d.weight for d in DESTINATIONS))
        sequence = 0
        for hour_index, calls in enumerate(calls_per_hour(self.count)):
            hour_start = start_us() + hour_index * HOUR_US
            day, hour = divmod(hour_index, 24)
            stamp = datetime.fromtimestamp(hour_start // MICROS, UTC).strftime("%y%m%d%H")
            weights = cumulative[hour]
            offsets = sorted(rng.randrange(HOUR_US) for _ in range(calls))
            for offset in offsets:
                sequence += 1
                workspace = bisect.bisect_right(weights, rng.random() * weights[-1])
                workspace = min(workspace, len(self.specs) - 1)
                self.counts.by_workspace_day[(self.specs[workspace].name, day)] += 1
                own = rng.choice(self.numbers[workspace]).number
                pick = rng.random() * destination_weights[-1]
                destination = DESTINATIONS[bisect.bisect_right(destination_weights, pick)]
                subscriber = rng.randrange(10**destination.subscriber_digits)
                remote = (
                    f"{destination.mobile_prefix}{subscriber:0{destination.subscriber_digits}d}"
                )
                if rng.random() < OUTGOING_SHARE:
                    caller, called = own, remote
                else:
                    caller, called = remote, own
                seconds = offset // MICROS
                callid = f"{stamp}{seconds // 60:02d}{seconds % 60:02d}{sequence:08d}"
                yield self._cdr(rng, callid, caller, called, hour_start + offset)

    @staticmethod
    def _cdr(rng: random.Random, callid: str, caller: str, called: str, start: int) -> CdrFields:
        ring_us = rng.randrange(2 * MICROS, 25 * MICROS)
        if rng.random() < ANSWERED_SHARE:
            talk = max(1, min(7200, round(math.exp(rng.gauss(3.8, 1.1)))))
            recorded = rng.random() < RECORDED_SHARE
            url = f"https://rec.bench.invalid/{callid}.mp3" if recorded else ""
            answer = start + ring_us
            end = answer + talk * MICROS
            return (callid, caller, called, start, answer, end, talk, "200", "NORMAL_CLEARING", url,
                    SOURCE)  # fmt: skip
        sip_code, reason = FAILURES[rng.randrange(len(FAILURES))]
        return (callid, caller, called, start, None, start + ring_us, 0, sip_code, reason, "",
                SOURCE)  # fmt: skip
