"""Delinquency buckets: named, inclusive, contiguous DPD ranges (default M0..M7+)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bucket:
    """A named inclusive DPD range; `upper` None means no upper bound."""

    name: str
    lower: int
    upper: int | None


class BucketSchemeError(ValueError):
    """Bucket ranges that leave gaps, overlap or do not start at 0."""


@dataclass(frozen=True, slots=True)
class BucketScheme:
    """Ordered buckets covering every DPD from 0 upward exactly once."""

    buckets: tuple[Bucket, ...]

    def __post_init__(self) -> None:
        expected = 0
        for index, bucket in enumerate(self.buckets):
            if bucket.lower != expected:
                raise BucketSchemeError(
                    f"bucket {bucket.name} starts at {bucket.lower}, not {expected}"
                )
            if bucket.upper is None:
                if index != len(self.buckets) - 1:
                    raise BucketSchemeError(
                        f"only the last bucket may be open-ended: {bucket.name}"
                    )
                return
            if bucket.upper < bucket.lower:
                raise BucketSchemeError(f"bucket {bucket.name} ends before it starts")
            expected = bucket.upper + 1
        raise BucketSchemeError("the last bucket must be open-ended")

    def bucket_for(self, dpd: int) -> str:
        """The bucket name for a DPD value."""
        if dpd < 0:
            raise ValueError("DPD is never negative")
        for bucket in self.buckets:
            if bucket.upper is None or dpd <= bucket.upper:
                return bucket.name
        raise AssertionError("unreachable: the scheme is validated as covering all DPD")

    @property
    def upper_bounds(self) -> list[int]:
        """Inclusive upper bounds of all but the open last bucket (for set-based lookups)."""
        return [b.upper for b in self.buckets if b.upper is not None]

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.buckets]


def parse_bucket_scheme(spec: str) -> BucketScheme:
    """Parse "M0=0,M1=1-30,...,M7+=181-" into a scheme."""
    buckets: list[Bucket] = []
    for part in spec.split(","):
        name, _, bounds = part.strip().partition("=")
        low, dash, high = bounds.partition("-")
        if not name or not low.isdigit() or (high and not high.isdigit()):
            raise BucketSchemeError(f"bad bucket {part!r}: use NAME=LOW-HIGH, NAME=N or NAME=LOW-")
        upper = int(high) if high else (None if dash else int(low))
        buckets.append(Bucket(name.strip(), int(low), upper))
    return BucketScheme(tuple(buckets))


DEFAULT_BUCKETS = parse_bucket_scheme(
    "M0=0,M1=1-30,M2=31-60,M3=61-90,M4=91-120,M5=121-150,M6=151-180,M7+=181-"
)


def bucket_episodes(daily: Sequence[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """Collapse (iso_date, bucket) pairs in date order into (bucket, entered, left) episodes.

    `left` is the first date seen in another bucket, None while the episode is open.
    """
    episodes: list[tuple[str, str, str | None]] = []
    for day, bucket in daily:
        if episodes and episodes[-1][0] == bucket:
            continue
        if episodes:
            name, entered, _ = episodes[-1]
            episodes[-1] = (name, entered, day)
        episodes.append((bucket, day, None))
    return episodes
