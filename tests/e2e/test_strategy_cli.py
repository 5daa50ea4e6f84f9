"""`faircollect strategy check` refuses a bad strategy file with the reason."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from faircollect.entrypoints.cli import app
from faircollect.strategy.config import shipped_strategy_text


def test_check_accepts_the_shipped_file_and_refuses_a_challenger_without_holdout(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    good = tmp_path / "good.toml"
    good.write_text(shipped_strategy_text(), "utf-8")
    result = runner.invoke(app, ["strategy", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "cn-engine-2026-12" in result.output
    bad = tmp_path / "bad.toml"
    text = shipped_strategy_text()
    start = text.index('[[cells]]\nname = "holdout"')
    bad.write_text(text[:start].replace("share = 0.90", "share = 0.95"), "utf-8")
    result = runner.invoke(app, ["strategy", "check", str(bad)])
    assert result.exit_code == 1
    assert "a challenger needs a holdout cell" in result.output


def test_evaluate_refuses_too_few_seeds_in_one_line() -> None:
    result = CliRunner().invoke(app, ["strategy", "evaluate", "--seeds", "1"])
    assert result.exit_code == 2
    assert "seeds ≥ 2" in result.output
