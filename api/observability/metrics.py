"""Counters, a gauge and histograms kept in memory, written in Prometheus' text format.

prometheus-client is not a dependency; the exposition format (version 0.0.4) is small.
Each process keeps its own numbers: with several uvicorn workers, scrape each worker or
run one. Labels never hold ids, paths or people: only route templates, methods, status
classes and problem types, so the number of series stays small.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from typing import TypeVar

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[str, ...]
M = TypeVar("M", bound="Metric")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(value)


class Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help_text, self.label_names = name, help_text, tuple(labels)
        self._lock = threading.Lock()

    def _labels(self, values: Labels, extra: str = "") -> str:
        if len(values) != len(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}")
        pairs = [f'{n}="{_escape(v)}"' for n, v in zip(self.label_names, values, strict=True)]
        pairs += [extra] if extra else []
        return "{" + ",".join(pairs) + "}" if pairs else ""

    def lines(self) -> Iterator[str]:
        yield f"# HELP {self.name} {self.help_text}"
        yield f"# TYPE {self.name} {self.kind}"
        yield from self.samples()

    def samples(self) -> Iterator[str]:
        raise NotImplementedError


class Counter(Metric):
    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labels)
        self._values: dict[Labels, float] = {}

    def inc(self, *labels: str, amount: float = 1) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0) + amount

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0)

    def samples(self) -> Iterator[str]:
        for labels, value in sorted(self._values.items()):
            yield f"{self.name}{self._labels(labels)} {_number(value)}"


class Gauge(Counter):
    kind = "gauge"

    def dec(self, *labels: str, amount: float = 1) -> None:
        self.inc(*labels, amount=-amount)


class Histogram(Metric):
    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> None:
        super().__init__(name, help_text, labels)
        self.buckets = (*sorted(buckets), math.inf)
        self._counts: dict[Labels, list[int]] = {}
        self._sums: dict[Labels, float] = {}

    def observe(self, value: float, *labels: str) -> None:
        with self._lock:
            counts = self._counts.setdefault(labels, [0] * len(self.buckets))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
            self._sums[labels] = self._sums.get(labels, 0.0) + value

    def count(self, *labels: str) -> int:
        return self._counts.get(labels, [0])[-1]

    def samples(self) -> Iterator[str]:
        for labels, counts in sorted(self._counts.items()):
            for bound, count in zip(self.buckets, counts, strict=True):
                le = f'le="{_number(bound)}"'
                yield f"{self.name}_bucket{self._labels(labels, le)} {count}"
            yield f"{self.name}_sum{self._labels(labels)} {_number(self._sums[labels])}"
            yield f"{self.name}_count{self._labels(labels)} {counts[-1]}"


class Registry:
    def __init__(self) -> None:
        self.metrics: list[Metric] = []

    def add(self, metric: M) -> M:
        self.metrics.append(metric)
        return metric

    def render(self) -> str:
        return "".join(f"{line}\n" for m in self.metrics for line in m.lines())


REGISTRY = Registry()
REQUESTS = REGISTRY.add(
    Counter(
        "meguri_http_requests_total",
        "HTTP requests answered, by method, route template and status class.",
        ("method", "route", "status"),
    )
)
DURATION = REGISTRY.add(
    Histogram(
        "meguri_http_request_duration_seconds",
        "Time from receiving a request to the end of its response, by route template.",
        ("method", "route"),
    )
)
IN_PROGRESS = REGISTRY.add(
    Gauge("meguri_http_requests_in_progress", "HTTP requests being answered now.")
)
OPERATIONS = REGISTRY.add(
    Counter(
        "meguri_ledger_operations_total",
        "Value-moving requests answered with success: posted anew, or a retry answered "
        "from the stored result (replayed).",
        ("route", "outcome"),
    )
)
REFUSALS = REGISTRY.add(
    Counter(
        "meguri_refusals_total",
        "Requests refused by a rule of the service, by problem type "
        "(insufficient-balance, invalid-code, limit-exceeded …).",
        ("type",),
    )
)
