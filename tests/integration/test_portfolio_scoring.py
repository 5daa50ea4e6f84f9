"""Portfolio scoring from the batch tables: features equal a per-loan recomputation, scores are
stored with the model version and replaced on a re-run, drift is read against training."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from sqlalchemy import func, insert, select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.scoring_job import (
    NEVER_PAID_DAYS,
    ScoringDataError,
    load_collection_inputs,
    score_portfolio,
    stored_scores,
    training_rows,
)
from faircollect.adapters.db.tables import (
    audit_index,
    loan_states,
    loans,
    payments,
    promises,
    scores,
)
from faircollect.adapters.model_store import ModelStore, artefact_bytes
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.audit.records import AuditKind
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.scoring.drift import psi, reference
from faircollect.scoring.models import Boosted
from faircollect.scoring.registry import Manifest, RegistryError
from faircollect.scoring.table import Table
from faircollect.services.authorization import Role, make_actor
from faircollect.services.models import promote_model
from tests.tape_loader import run_import

CLOCK = FixedClock(datetime(2026, 10, 1, tzinfo=UTC))
AT = datetime(2026, 11, 23, 9, tzinfo=UTC)
AS_OF = date(2026, 6, 30)
DATES = [AS_OF - timedelta(days=30 * k) for k in (3, 2, 1, 0)] + [AS_OF + timedelta(days=30)]


@pytest.fixture
def batched(app: App, tmp_path: Path) -> App:
    generate_portfolio(loans=400, seed=11, out=tmp_path / "tape", horizon=date(2026, 9, 30))
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    for d in DATES:
        run_batch(
            engine=app.engine, url=app.settings.db_url, as_of=d, buckets=app.buckets, clock=CLOCK
        )
    return app


def _per_loan(app: App, as_of: date) -> dict[int, dict[str, float]]:
    """The same features, loan by loan, straight from the stored rows."""
    out: dict[int, dict[str, float]] = {}
    with app.engine.connect() as conn:
        state = {
            (r.as_of, r.loan_key): r for r in conn.execute(select(loan_states)).all()
        }  # fmt: skip
        paid = conn.execute(
            select(payments.c.loan_key, payments.c.paid_on, payments.c.amount)
        ).all()
        keys = [k for (k,) in conn.execute(select(loans.c.loan_key))]
    for key in keys:
        now = state[(as_of, key)]
        if now.dpd <= 0:
            continue
        snaps = [state.get((as_of - timedelta(days=30 * k), key)) for k in (2, 1, 0)]
        dpd = [s.dpd if s else 0 for s in snaps]
        due = [
            s.overdue_principal + s.overdue_interest + s.overdue_fee + s.penalty_accrued if s else 0
            for s in snaps
        ]
        mine = [(d, a) for k, d, a in paid if k == key and d <= as_of]
        recent = [d for d, _ in mine if d > as_of - timedelta(days=NEVER_PAID_DAYS)]
        since = (as_of - max(recent)).days if recent else NEVER_PAID_DAYS
        paid_30 = sum(a for d, a in mine if d > as_of - timedelta(days=30))
        out[key] = {
            "dpd_now": dpd[-1], "dpd_max": max(dpd), "times_late": sum(d > 0 for d in dpd),
            "roll": dpd[-1] - dpd[-2], "days_since_payment": since,
            "paid_ratio_30d": min(paid_30 / due[-2], 2.0) if due[-2] else 0.0,
            "overdue_share": min(due[-1] / now.lawful_outstanding, 1.0)
            if now.lawful_outstanding else 0.0,
        }  # fmt: skip
    return out


def _promises(app: App) -> dict[str, float]:
    """Settle a few promises around the as-of date; the kept rate the features must show."""
    with app.engine.begin() as conn:
        late = [k for (k,) in conn.execute(
            select(loans.c.loan_id).join(loan_states, loan_states.c.loan_key == loans.c.loan_key)
            .where(loan_states.c.as_of == AS_OF, loan_states.c.dpd > 0).order_by(loans.c.loan_id)
        )][:4]  # fmt: skip
        rows = [
            (late[0], "kept", AS_OF - timedelta(days=5)),
            (late[0], "broken", AS_OF - timedelta(days=2)),
            (late[0], "kept", AS_OF),
            (late[1], "broken", AS_OF - timedelta(days=9)),
            (late[2], "kept", AS_OF + timedelta(days=1)),  # settled after: not known yet
            (late[3], "open", None),
        ]
        for n, (loan_id, status, settled) in enumerate(rows):
            conn.execute(insert(promises).values(
                promise_id=f"T{n}", loan_id=loan_id, borrower_id="x", amount=100,
                made_on=AS_OF - timedelta(days=20), due_on=AS_OF - timedelta(days=10),
                channel="call", status=status, settled_on=settled,
            ))  # fmt: skip
    return {late[0]: 2 / 3, late[1]: 0.0}


def test_set_based_features_equal_a_per_loan_recomputation(batched: App) -> None:
    rates = _promises(batched)
    inputs = load_collection_inputs(batched.settings.db_url, AS_OF)
    expected = _per_loan(batched, AS_OF)
    with batched.engine.connect() as conn:
        ids = dict(conn.execute(select(loans.c.loan_key, loans.c.loan_id)).all())
    rate = inputs.features["promise_kept_rate"]
    for i, key in enumerate(inputs.loan_key.tolist()):
        if ids[key] in rates:
            assert rate[i] == pytest.approx(rates[ids[key]])
        else:
            assert np.isnan(rate[i]), ids[key]
    assert sorted(expected) == inputs.loan_key.tolist()
    assert len(expected) > 20
    for i, key in enumerate(inputs.loan_key.tolist()):
        for name, value in expected[key].items():
            assert inputs.features[name][i] == pytest.approx(value), (key, name)


def _registered(app: App, tmp_path: Path) -> tuple[ModelStore, Manifest]:
    frames = [training_rows(app.settings.db_url, d) for d in DATES[2:4]]
    numeric = {k: np.concatenate([f.features[k] for f, _ in frames]) for k in frames[0][0].features}
    table = Table(numeric, {}, np.concatenate([y for _, y in frames]))
    assert 0 < table.target.sum() < len(table)
    model = Boosted().fit(table)
    blob, digest = artefact_bytes(model)
    store = ModelStore(tmp_path / "models")
    ref = {k: reference(v) for k, v in numeric.items()} | {"score": reference(model.predict(table))}
    manifest = Manifest(
        name="propensity", version=1, kind="lightgbm", numeric=tuple(numeric), categorical=(),
        data_sha256="0" * 64, metrics={}, calibration="platt", author="ann",
        trained_at=AT.isoformat(), artefact_sha256=digest, extra={"reference": ref},
    )  # fmt: skip
    store.save(manifest, blob)
    ben = make_actor("user", "ben", "ben", [Role.COMPLIANCE_OFFICER])
    promote_model(app.unit_of_work(FixedClock(AT)), store, actor=ben, name="propensity", version=1)
    return store, manifest


def test_scores_are_stored_with_the_version_and_replaced_on_rerun(
    batched: App, tmp_path: Path
) -> None:
    store, _ = _registered(batched, tmp_path)
    manifest, model = store.load("propensity")
    url = batched.settings.db_url
    first = score_portfolio(url, AS_OF, manifest, model, actor="batch", at=AT)
    again = score_portfolio(url, AS_OF, manifest, model, actor="batch", at=AT)
    assert first == again
    assert first.accounts == sum(first.bands.values()) > 0
    with batched.engine.connect() as conn:
        rows = conn.execute(select(scores.c.version, func.count()).group_by(scores.c.version)).all()
        audited = conn.execute(
            select(func.count()).where(audit_index.c.kind == int(AuditKind.SCORES_STORED))
        ).scalar_one()
    assert rows == [(1, first.accounts)]
    assert audited == 2
    keys, p = stored_scores(url, AS_OF, "propensity")
    inputs = load_collection_inputs(url, AS_OF)
    assert keys.tolist() == inputs.loan_key.tolist()
    assert np.allclose(p, model.predict(inputs.table()))
    # The ranking means something: accounts that then paid were scored higher on average.
    _, label = training_rows(url, AS_OF)
    assert p[label == 1].mean() > p[label == 0].mean()
    # Scores for the same date from the same data show no drift against themselves.
    assert psi(manifest.extra["reference"]["dpd_now"], inputs.features["dpd_now"]) < 0.25


def test_scoring_names_the_missing_batch_and_the_wrong_features(
    batched: App, tmp_path: Path
) -> None:
    store, manifest = _registered(batched, tmp_path)
    _, model = store.load("propensity")
    with pytest.raises(
        ScoringDataError, match="no batch results for 2026-04-30, 2026-05-30, 2026-06-29:"
    ):
        load_collection_inputs(batched.settings.db_url, AS_OF - timedelta(days=1))
    other = Manifest(**{**manifest.__dict__, "numeric": ("dpd_now", "bureau_score")})
    with pytest.raises(RegistryError, match="missing bureau_score"):
        score_portfolio(batched.settings.db_url, AS_OF, other, model, actor="batch", at=AT)
    with batched.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scores)).scalar_one() == 0
