from __future__ import annotations

import pytest

from faircollect.domain.delinquency import (
    DEFAULT_BUCKETS,
    BucketSchemeError,
    bucket_episodes,
    parse_bucket_scheme,
)


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (0, "M0"),
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (90, "M3"),
        (91, "M4"),
        (180, "M6"),
        (181, "M7+"),
        (999, "M7+"),
    ],
)
def test_default_buckets(dpd: int, bucket: str) -> None:
    assert DEFAULT_BUCKETS.bucket_for(dpd) == bucket


def test_custom_scheme() -> None:
    scheme = parse_bucket_scheme("current=0,early=1-15,late=16-")
    assert scheme.bucket_for(15) == "early"
    assert scheme.upper_bounds == [0, 15]


@pytest.mark.parametrize(
    "spec",
    [
        "M0=0,M1=2-30,M2=31-",
        "M0=0,M1=1-30",
        "M0=0,M1=1-,M2=40-",
        "M0=1-5,M1=6-",
        "M0=zero,M1=1-",
        "M0=0,M1=5-3,M2=6-",
    ],
)
def test_bad_schemes_are_refused(spec: str) -> None:
    with pytest.raises(BucketSchemeError):
        parse_bucket_scheme(spec)


def test_episodes() -> None:
    daily = [("2025-01-01", "M0"), ("2025-01-02", "M1"), ("2025-01-03", "M1"), ("2025-01-04", "M0")]
    assert bucket_episodes(daily) == [
        ("M0", "2025-01-01", "2025-01-02"),
        ("M1", "2025-01-02", "2025-01-04"),
        ("M0", "2025-01-04", None),
    ]
