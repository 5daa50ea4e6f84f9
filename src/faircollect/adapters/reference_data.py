"""Versioned reference data shipped with the package (LPR table)."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

from faircollect.domain.lawful import LprTable, LprTableError


def load_lpr_table(path: Path | None = None) -> LprTable:
    """Load the LPR table from `path`, or the one shipped in the package."""
    if path is None:
        text = resources.files("faircollect.data").joinpath("lpr_cn.toml").read_text("utf-8")
        where = "faircollect/data/lpr_cn.toml"
    else:
        text = path.read_text("utf-8")
        where = str(path)
    try:
        doc = tomllib.loads(text)
        rows = tuple((_as_date(row["effective"]), Decimal(str(row["rate"]))) for row in doc["rows"])
        return LprTable(version=str(doc["version"]), rows=rows)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise LprTableError(f"{where}: {exc}") from exc


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
