"""Two evaluation runs side by side: which figures got better, which worse, which stayed the same."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METRICS", "MetricChange", "compare_runs"]


# Evaluation figures: label, which way is better (+1 higher, -1 lower, 0 neither) and the change that
# counts as real (timings vary from run to run on a shared machine, so only a 25 % slow-down is called worse).
METRICS = {
    "hit_at_1": ("right page first (hit@1)", +1, 1e-9),
    "hit_at_3": ("right page in top 3 (hit@3)", +1, 1e-9),
    "false_refusal_rate": ("false refusals", -1, 1e-9),
    "correct_refusal_rate": ("correct refusals", +1, 1e-9),
    "urgent_recall": ("emergencies caught (urgent recall)", +1, 1e-9),
    "verbatim_rate": ("quotes verbatim", +1, 1e-9),
    "median_quote_chars": ("median quote length (characters)", 0, 0.0),
    "latency_p50_ms": ("latency p50 (ms)", -1, 0.25),
    "latency_p95_ms": ("latency p95 (ms)", -1, 0.25),
}
_RELATIVE = {"latency_p50_ms", "latency_p95_ms"}


@dataclass(frozen=True)
class MetricChange:
    """One figure of the latest evaluation next to the previous run's; ``verdict`` is better/worse/same or ""."""

    name: str
    latest: float | None
    previous: float | None
    change: float | None
    verdict: str


def compare_runs(latest: dict, previous: dict | None) -> list[MetricChange]:
    """The ``overall`` figures of two runs side by side, known figures first in a fixed order."""
    names = [name for name in METRICS if name in latest] + sorted(set(latest) - set(METRICS))
    rows = []
    for name in names:
        new = latest.get(name)
        old = (previous or {}).get(name)
        if not isinstance(new, int | float) or not isinstance(old, int | float):
            rows.append(MetricChange(name, new, old, None, ""))
            continue
        change = float(new) - float(old)
        _, direction, tolerance = METRICS.get(name, (name, 0, 0.0))
        limit = tolerance * abs(float(old)) if name in _RELATIVE else tolerance
        if direction == 0:
            verdict = ""
        elif abs(change) <= limit:
            verdict = "same"
        else:
            verdict = "better" if change * direction > 0 else "worse"
        rows.append(MetricChange(name, new, old, round(change, 4), verdict))
    return rows
