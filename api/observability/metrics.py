"""Request and ledger metrics in Prometheus' text format, kept by prometheus-client in a
registry of our own (no process or platform collectors: only what we name here).

Each process keeps its own numbers: with several uvicorn workers, scrape each worker or
run one. Labels never hold ids, paths or people: only route templates, methods, status
classes and problem types, so the number of series stays small. The thin wrappers below
keep the call sites short: ``REQUESTS.inc("GET", "/m/{code}", "4xx")``.
"""

from __future__ import annotations

from collections.abc import Sequence

import prometheus_client as prom
from prometheus_client import CollectorRegistry

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # what generate_latest writes
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Registry:
    def __init__(self) -> None:
        self.collectors = CollectorRegistry(auto_describe=True)

    def render(self) -> str:
        return prom.generate_latest(self.collectors).decode()


REGISTRY = Registry()


def _sample(name: str, names: tuple[str, ...], values: tuple[str, ...]) -> float:
    labels = dict(zip(names, values, strict=True))
    return REGISTRY.collectors.get_sample_value(name, labels) or 0.0


class Counter:
    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name, self.label_names = name, tuple(labels)
        self._metric = prom.Counter(
            name.removesuffix("_total"), help_text, labels, registry=REGISTRY.collectors
        )

    def inc(self, *labels: str, amount: float = 1) -> None:
        (self._metric.labels(*labels) if labels else self._metric).inc(amount)

    def value(self, *labels: str) -> float:
        return _sample(self.name, self.label_names, labels)


class Gauge:
    def __init__(self, name: str, help_text: str) -> None:
        self._metric = prom.Gauge(name, help_text, registry=REGISTRY.collectors)

    def inc(self) -> None:
        self._metric.inc()

    def dec(self) -> None:
        self._metric.dec()


class Histogram:
    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name, self.label_names = name, tuple(labels)
        self._metric = prom.Histogram(
            name, help_text, labels, buckets=LATENCY_BUCKETS, registry=REGISTRY.collectors
        )

    def observe(self, value: float, *labels: str) -> None:
        self._metric.labels(*labels).observe(value)

    def count(self, *labels: str) -> int:
        return int(_sample(f"{self.name}_count", self.label_names, labels))


REQUESTS = Counter(
    "meguri_http_requests_total",
    "HTTP requests answered, by method, route template and status class.",
    ("method", "route", "status"),
)
DURATION = Histogram(
    "meguri_http_request_duration_seconds",
    "Time from receiving a request to the end of its response, by route template.",
    ("method", "route"),
)
IN_PROGRESS = Gauge("meguri_http_requests_in_progress", "HTTP requests being answered now.")
OPERATIONS = Counter(
    "meguri_ledger_operations_total",
    "Value-moving requests answered with success: posted anew, or a retry answered "
    "from the stored result (replayed).",
    ("route", "outcome"),
)
REFUSALS = Counter(
    "meguri_refusals_total",
    "Requests refused by a rule of the service, by problem type "
    "(insufficient-balance, invalid-code, limit-exceeded …).",
    ("type",),
)
