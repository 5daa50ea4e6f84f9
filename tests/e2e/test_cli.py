"""The command line end to end: generate, import, batch, report, demo."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from faircollect.audit.records import AuditKind, decode_record
from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.cli import app
from faircollect.entrypoints.cli_identity import operator
from faircollect.services.authorization import Permission, can
from tests.e2e.cli_people import cheap_argon2, make_people
from tests.integration.identity_kit import records

KEY = base64.b64encode(b"e" * 32).decode()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAIRCOLLECT_DB", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FAIRCOLLECT_PII_KEY", KEY)
    monkeypatch.setenv("FAIRCOLLECT_AUDIT_KEY", base64.b64encode(b"s" * 32).decode())
    monkeypatch.delenv("FAIRCOLLECT_TOKEN", raising=False)
    cheap_argon2(monkeypatch)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, token: str | None = None, answers: str | None = None):
        env = {"FAIRCOLLECT_TOKEN": token} if token else None
        result = runner.invoke(app, list(args), env=env, input=answers)
        assert result.exit_code == code, result.output
        return result

    return invoke


@pytest.fixture
def people(run):
    """Staff users and a token each (cli_people.PEOPLE), on the run's database."""
    return make_people()


def test_generate_import_batch_and_report(run, people, tmp_path: Path) -> None:
    tokens = people[1]
    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "60", "--seed", "5", "--out", str(tape))
    assert {p.name for p in tape.iterdir()} == {"borrowers.csv", "loans.csv", "payments.csv"}
    run("import", str(tape), token=tokens["ann"])
    again = run("import", str(tape), token=tokens["ann"])
    assert "0" in again.output
    run("batch", "run", "--as-of", "2026-09-30")
    out = run("delinquency", "--as-of", "2026-09-30", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 60
    assert set(rows[0]) >= {
        "loan_id",
        "dpd",
        "bucket",
        "lawful_outstanding",
        "unenforceable_excess",
        "cap_rate",
    }
    as_json = json.loads(run("delinquency", "--as-of", "2026-09-30", "--format", "json").output)
    assert [r["loan_id"] for r in as_json] == [r["loan_id"] for r in rows]
    shown = run("borrower", "show", "B00000001", token=tokens["aud"]).output
    assert "****" in shown
    # Personal data is read by a signed-in person only; an auditor sees it masked, never clear.
    assert "--user NAME" in run("borrower", "show", "B00000001", code=2).output
    denied = run("borrower", "show", "B00000001", "--reveal", "--reason", "audit",
                 token=tokens["aud"], code=2)  # fmt: skip
    assert "may not pii.reveal" in denied.output
    assert "unknown borrower_id" in run("borrower", "show", "NOPE", token=tokens["col"],
                                        code=2).output  # fmt: skip


def test_the_import_acts_for_a_person_holding_tape_import(run, people, tmp_path: Path) -> None:
    users, tokens = people
    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "5", "--seed", "3", "--out", str(tape))
    # Nobody signed in: refused before the tape is read (a broken tape says nothing either).
    (tmp_path / "broken").mkdir()
    nobody = run("import", str(tmp_path / "broken"), code=2).output
    assert "--user NAME" in nobody
    assert "missing" not in nobody
    # A collector (and the auditor) may not load the book: refused, and the refusal is audited.
    assert "may not tape.import" in run("import", str(tape), token=tokens["col"], code=2).output
    assert "may not tape.import" in run("import", str(tape), token=tokens["aud"], code=2).output
    app = bootstrap()
    denied = records(app, "tape:import")
    app.close()
    assert [(r.kind, r.payload["permission"]) for r in denied] == [
        (AuditKind.PERMISSION_DENIED, "tape.import")
    ] * 2
    # A token that names nobody is refused and audited (718), as the API's are.
    assert "sign-in" in run("import", str(tape), token="fct_not_a_token", code=2).output  # noqa: S106
    app = bootstrap()
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        refused = [decode_record(log.leaf(i).entry) for i in range(log.size)]
    app.close()
    refused = [r for r in refused if r.kind == AuditKind.TOKEN_REFUSED]
    assert [(r.payload["reason"], r.payload["route"]) for r in refused] == [("malformed", "cli")]
    # The operator at the shell holds job.run, not tape.import: a tape needs a person.
    assert not can(operator(), Permission.TAPE_IMPORT)
    # The manager, with her password and TOTP code: the records name her.
    login = f"{users['ann'].initial_password}\n{pyotp.TOTP(users['ann'].totp_secret).now()}\n"
    run("import", str(tape), "--user", "ann", answers=login)
    bundle = tmp_path / "b.json"
    run("audit", "bundle", "--loan", "L00000001", "--out", str(bundle))
    key = run("audit", "key").output.strip()
    checked = " ".join(run("audit", "check-bundle", str(bundle), "--key", key).output.split())
    assert f"LOAN_IMPORTED loan:L00000001 by user:{users['ann'].user_id}" in checked


def test_bad_input_exits_nonzero_with_the_place(run, people, tmp_path: Path) -> None:
    run("batch", "run", "--as-of", "2026-02-30", code=2)
    run("delinquency", "--as-of", "2026-01-01", code=2)
    tape = tmp_path / "bad"
    tape.mkdir()
    (tape / "borrowers.csv").write_text("borrower_id,name,phone\nB1,x,1\n", encoding="utf-8")
    (tape / "loans.csv").write_text("loan_id\nL1\n", encoding="utf-8")
    (tape / "payments.csv").write_text("payment_id,loan_id,paid_on,amount\n", encoding="utf-8")
    result = run("import", str(tape), token=people[1]["ann"], code=2)
    assert "loans.csv: missing column(s)" in result.output
    run("borrower", "show", "B1", "--reveal", code=2)


def test_demo_writes_an_offline_report(run, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run(
        "demo",
        "--loans",
        "200",
        "--days",
        "35",
        "--out",
        str(out),
        "--db",
        f"sqlite:///{out / 'd.db'}",
    )
    report = out / "report.html"
    assert str(report.resolve()) in result.output.replace("\n", "")
    page = report.read_text(encoding="utf-8")
    assert "Delinquent loans per bucket" in page
    assert "Contacts decided by the policy gate per day" in page
    assert "Promises to pay settled per day" in page
    assert "Plotly" in page
    # The library is inlined: nothing is loaded from the network when the page opens.
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?https?:", page, re.IGNORECASE)
    assert page.count("<script") >= 3
    assert "roll rates" in result.output
    assert "audit log:" in result.output
    assert "records verified" in result.output
    # A login for every staff role, and the way to a borrower's code.
    for name in ("demo-admin", "demo-collections-manager", "demo-collector",
                 "demo-compliance-officer", "demo-auditor"):  # fmt: skip
        assert name in result.output
    assert "sandbox_messages" in result.output
    # No plaintext tape is left beside the report; the database file is owner-only.
    assert not (out / "tape").exists()
    assert not list(out.rglob("borrowers.csv"))
    assert (out / "d.db").stat().st_mode & 0o077 == 0
    # A second demo into the same folder is refused: its cycle would be done already and the
    # report's figures zeros. The first report stays as it was.
    again = run("demo", "--loans", "200", "--days", "35", "--out", str(out), "--db",
                f"sqlite:///{out / 'd.db'}", "--force", code=2)  # fmt: skip
    assert "already holds loans" in " ".join(again.output.split())
    assert report.read_text(encoding="utf-8") == page
    assert "exists; pass --force" in " ".join(
        run(
            "demo", "--out", str(out), "--db", f"sqlite:///{tmp_path / 'new.db'}", code=2
        ).output.split()
    )


def test_audit_commands_and_offline_bundle(run, people, tmp_path: Path) -> None:
    tokens = people[1]
    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "20", "--seed", "9", "--out", str(tape))
    run("import", str(tape), token=tokens["ann"])
    run("batch", "run", "--as-of", "2026-09-30")
    run("borrower", "show", "B00000003", "--reveal", "--reason", "complaint C-9",
        token=tokens["col"])  # fmt: skip
    assert "no checkpoint" in run("audit", "verify", code=1).output
    assert "verified:" in run("audit", "verify", "--allow-no-checkpoint").output
    key = run("audit", "key").output.strip()
    assert key.count("+") >= 2
    signed = run("audit", "checkpoint").output
    size = int(signed.splitlines()[1])
    proof = json.loads(run("audit", "proof", "--entry", "3").output)
    assert proof["tree_size"] == size
    cons = json.loads(run("audit", "consistency", "--from", "5").output)
    assert cons["to"] == size
    bundle = tmp_path / "b.json"
    run("audit", "bundle", "--borrower", "B00000003", "--out", str(bundle))
    checked = " ".join(run("audit", "check-bundle", str(bundle), "--key", key).output.split())
    assert "PII_REVEALED borrower:B00000003 by token:" in checked
    assert "LOAN_IMPORTED loan:L00000003" in checked
    # Any change to the bundle is caught offline.
    data = json.loads(bundle.read_text())
    data["entries"][0]["entry"] = data["entries"][1]["entry"]
    bundle.write_text(json.dumps(data))
    assert "NOT VERIFIED" in run("audit", "check-bundle", str(bundle), "--key", key, code=1).output
    bundle.write_text("{not json")
    run("audit", "check-bundle", str(bundle), "--key", key, code=1)
    run("audit", "check-bundle", str(bundle), "--key", "nonsense", code=1)
    run("audit", "proof", "--entry", str(size + 5), code=2)
    run("audit", "consistency", "--from", str(size + 1), code=2)
    run("audit", "bundle", "--loan", "NOPE", "--out", str(bundle), code=2)


def test_audit_verify_names_the_tampered_entry(run, people, tmp_path: Path) -> None:
    import sqlite3

    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "5", "--seed", "2", "--out", str(tape))
    run("import", str(tape), token=people[1]["ann"])
    run("audit", "checkpoint")
    with sqlite3.connect(tmp_path / "cli.db") as db:
        # Flip one byte inside the first entry (after its 4-byte length and record header).
        data = bytearray(db.execute("SELECT data FROM audit_entries WHERE tile = 0").fetchone()[0])
        data[20] ^= 0xFF
        db.execute("UPDATE audit_entries SET data = ? WHERE tile = 0", (bytes(data),))
    result = run("audit", "verify", code=1)
    assert "TAMPERED entry 0" in result.output


def test_policy_check_decides_json_lines_and_names_bad_lines(tmp_path: Path) -> None:
    lines = [
        {
            "request": {
                "at": "2026-04-01T22:15:00+08:00",
                "channel": "call",
                "role": "debtor",
                "contact_point": "m1",
                "debt_id": "D1",
            }
        },
        "{not json",
        {
            "request": {
                "at": "2026-04-01T10:00:00",
                "channel": "call",
                "role": "debtor",
                "contact_point": "m1",
                "debt_id": "D1",
            }
        },
        {
            "request": {
                "at": "2026-04-01T10:00:00+08:00",
                "channel": "sms",
                "role": "debtor",
                "contact_point": "m1",
                "debt_id": "D1",
                "demanded_amount": 100,
                "message": "您好，您的账单1.00元已逾期，请按时还款。",
            },
            "facts": {"lawful_outstanding": 100},
        },
    ]
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    result = CliRunner().invoke(app, ["policy", "check", "--pack", "CN"], input=text)
    assert result.exit_code == 1
    out = [json.loads(x) for x in result.output.strip().splitlines()]
    assert out[0]["verdict"] == "block"
    assert out[0]["reasons"][0]["rule_id"] == "CN-HOURS-NIGHT"
    assert out[1]["line"] == 2
    assert "error" in out[1]
    assert out[2]["line"] == 3
    assert "naive" in out[2]["error"]
    assert out[3]["verdict"] == "allow"
    overlay = tmp_path / "loose.toml"
    overlay.write_text(
        'id = "x"\nversion = "1"\noverlay_of = "CN"\n[rules.CN-FREQ-CONNECTED-3]\nlimit = 9\n'
    )
    refused = CliRunner().invoke(
        app, ["policy", "check", "--pack", "CN", "--overlay", str(overlay)], input=""
    )
    assert refused.exit_code == 2
    assert "loosens" in refused.output
    unknown = CliRunner().invoke(app, ["policy", "check", "--pack", "ZZ"], input="")
    assert unknown.exit_code == 2


def test_policy_replay_reads_the_record_and_rejects_bad_dates(run) -> None:
    report = json.loads(
        run("policy", "replay", "--pack", "CN", "--from", "2025-07-01", "--to", "2025-07-31").output
    )
    assert report["decisions"] == 0
    assert report["changed"] == 0
    run("policy", "replay", "--pack", "CN", "--from", "2025-02-30", "--to", "2025-07-31", code=2)
    run("policy", "replay", "--pack", "XX", "--from", "2025-07-01", "--to", "2025-07-31", code=2)


def test_screen_reads_json_lines_and_names_bad_lines() -> None:
    lines = [
        json.dumps({"id": "a", "text": "你这个老赖，再不还钱弄死你"}, ensure_ascii=False),
        json.dumps(
            {"id": "b", "text": "您好，您的账单已逾期3天，请按时还款。"}, ensure_ascii=False
        ),
        "not json",
        json.dumps({"id": "d", "text": ""}),
        json.dumps({"id": "e", "text": "hi", "context": {"colour": "red"}}),
        json.dumps({"id": "f"}),
        json.dumps(
            {
                "id": "g",
                "text": "Your balance is $9,800.",
                "context": {"lawful_outstanding_minor": 215000, "channel": "sms"},
            }
        ),
        json.dumps({"id": "h", "text": "x" * 1_000_000}),
    ]
    data = ("\n".join(lines) + "\n").encode() + b"\xff\xfe binary\n"
    result = CliRunner().invoke(app, ["screen", "--pack", "US"], input=data)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == list(range(1, 10))
    a, b, c, d, e, f, g, h, i = out
    assert a["verdict"] == "block"
    # Under the US pack a collector's message needs the debt-collector disclosure whatever the
    # channel (Reg F §1006.18(e)); neither line has it.
    assert set(a["categories"]) == {"threat", "insult", "us_collector_disclosure"}
    assert {"id", "verdict", "categories", "spans", "rules"} <= set(a)
    assert b["verdict"] == "block"
    assert b["rules"] == ["US-MINI-MIRANDA"]
    assert c["verdict"] is None
    assert "invalid JSON" in c["error"]
    assert d["verdict"] is None
    assert "empty" in d["error"]
    assert "colour" in e["error"]
    assert 'missing "text"' in f["error"]
    assert g["verdict"] == "block"
    assert set(g["rules"]) == {"SCR-AMOUNT-OVER-LAWFUL", "US-MINI-MIRANDA", "US-OPTOUT-NOTICE"}
    assert h["verdict"] is None
    assert "at most" in h["error"]
    assert i["verdict"] is None
    assert "UTF-8" in i["error"]


def test_screen_rejects_unknown_pack_and_language() -> None:
    assert CliRunner().invoke(app, ["screen", "--pack", "XX"], input=b"").exit_code == 2
    assert CliRunner().invoke(app, ["screen", "--lang", "fr"], input=b"").exit_code == 2


def test_script_library_maker_checker_by_signed_in_identity(
    run, people, monkeypatch: pytest.MonkeyPatch
) -> None:
    users, tokens = people
    monkeypatch.setenv("FAIRCOLLECT_BRAND_SMS_SIGNATURE", "示例金融（测试）")
    body = "【{lender}】{name}您好，您的账单{amount}将于{due_date}到期，请通过APP还款。"
    nobody = run("script", "draft", "--key", "due", "--body", body, code=2)
    assert "--user NAME or set FAIRCOLLECT_TOKEN" in nobody.output
    drafted = json.loads(
        run("script", "draft", "--key", "due", "--body", body, token=tokens["bo"]).stdout
    )
    assert (drafted["version"], drafted["status"], drafted["verdict"]) == (1, "draft", "pass")
    assert drafted["author"] == f"user:{users['bo'].user_id}"
    # The same person signed in with password and code instead of the token: still the author.
    login = f"{users['bo'].initial_password}\n{pyotp.TOTP(users['bo'].totp_secret).now()}\n"
    same = run("script", "approve", "--key", "due", "--version", "1", "--user", "bo",
               answers=login, code=2)  # fmt: skip
    assert "maker-checker" in same.output
    # A collector may not approve; a manager (who may draft) may not either.
    for who in ("col", "ann"):
        denied = run("script", "approve", "--key", "due", "--version", "1", token=tokens[who],
                     code=2)  # fmt: skip
        assert "may not script.approve" in denied.output
    approved = json.loads(
        run("script", "approve", "--key", "due", "--version", "1", token=tokens["cy"]).stdout
    )
    assert approved["status"] == "approved"
    assert approved["approver"] == f"user:{users['cy'].user_id}"
    values = json.dumps({"name": "王小明", "amount": 128050, "due_date": "2026-12-05"})
    ok = json.loads(
        run("script", "render", "--key", "due", "--values", values, "--lawful-outstanding",
            "128050", token=tokens["col"]).stdout
    )  # fmt: skip
    assert ok["verdict"] == "pass"
    assert "1,280.50元" in ok["text"]
    # Signed with the configured signature (FAIRCOLLECT_BRAND_SMS_SIGNATURE), never a given one.
    assert ok["text"].startswith("【示例金融（测试）】王小明您好")
    named = json.dumps({"lender": "示例", "name": "王小明", "amount": 1, "due_date": "2026-12-05"})
    refused = run("script", "render", "--key", "due", "--values", named, "--lawful-outstanding",
                  "128050", token=tokens["col"], code=2)  # fmt: skip
    assert "{lender} is the lender's configured branding" in refused.output
    over = run("script", "render", "--key", "due", "--values", values, "--lawful-outstanding",
               "100000", token=tokens["col"], code=1)  # fmt: skip
    assert "SCR-TEMPLATE-AMOUNT-OVER-LAWFUL" in over.stdout
    bad = run("script", "draft", "--key", "x", "--body", "{balance}", token=tokens["ann"], code=2)
    assert "unknown variable" in bad.output
    listed = [
        json.loads(line) for line in run("script", "list", token=tokens["col"]).stdout.splitlines()
    ]
    assert [(v["key"], v["status"]) for v in listed] == [("due", "approved")]
    # Every approval and denial is in the log under the token or the session that acted.
    assert run("audit", "verify", "--allow-no-checkpoint").exit_code == 0


def test_free_text_check_blocks_and_names_the_rules(run, people) -> None:
    token = people[1]["col"]
    check = ("script", "check-text", "--subject", "borrower:B1")
    blocked = run(*check, token=token, answers="你这个老赖，再不还钱弄死你", code=1)
    assert "SCR-THREAT-HARM" in blocked.stdout
    run(*check, token=token, answers="您好，您的账单已逾期3天，请按时还款。")
    binary = CliRunner().invoke(app, ["script", "check-text", "--subject", "b"], input=b"\xff\xfe",
                                env={"FAIRCOLLECT_TOKEN": token})  # fmt: skip
    assert binary.exit_code == 2
    assert "UTF-8" in binary.output
    # An auditor screens no messages.
    denied = run(*check, token=people[1]["aud"], answers="您好", code=2)
    assert "may not message.screen" in denied.output


def test_model_evaluate_prints_every_kind_and_names_bad_data(tmp_path: Path) -> None:
    import random

    rng = random.Random(5)
    rows = ["limit,grade,y"]
    for _ in range(400):
        grade = rng.choice("ABC")
        risk = {"A": 0.1, "B": 0.3, "C": 0.6}[grade]
        rows.append(f"{rng.randint(1, 100)},{grade},{int(rng.random() < risk)}")
    data = tmp_path / "credit.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["model", "evaluate", "--data", str(data), "--target", "y", "--cv", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out["models"]) == {"logistic_onehot", "scorecard", "scorecard_segmented", "lightgbm"}
    assert out["chosen"] in out["models"]
    assert all({"auc", "ks", "brier"} == set(m) for m in out["models"].values())
    assert out["models"]["scorecard"]["auc"] > 0.6
    bad = CliRunner().invoke(app, ["model", "evaluate", "--data", str(data), "--target", "nope"])
    assert bad.exit_code == 2
    assert "no target column" in bad.output


def test_model_train_and_promote_with_maker_checker(run, people, tmp_path: Path) -> None:
    import random

    users, tokens = people
    rng = random.Random(9)
    rows = ["amount,grade,y"] + [
        f"{rng.randint(1, 100)},{(g := rng.choice('ABC'))},{int(rng.random() < {'A': 0.1, 'B': 0.3, 'C': 0.6}[g])}"
        for _ in range(300)
    ]
    data = tmp_path / "credit.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    reg = str(tmp_path / "models")
    train = ("model", "train", "--data", str(data), "--target", "y", "--cv", "3", "--registry", reg)
    trained = json.loads(run(*train, "--name", "origination", token=tokens["max"]).stdout)
    assert trained["version"] == 1
    assert trained["metrics"]["auc"] > 0.6
    assert trained["author"] == f"user:{users['max'].user_id}"
    promote = ("model", "promote", "--name", "origination", "--version", "1", "--registry", reg)
    # Max holds the approving role too, but drafted the model: refused, by token or signed in.
    same = run(*promote, token=tokens["max"], code=2)
    assert "maker-checker" in same.output
    login = f"{users['max'].initial_password}\n{pyotp.TOTP(users['max'].totp_secret).now()}\n"
    assert "maker-checker" in run(*promote, "--user", "max", answers=login, code=2).output
    assert "may not model.promote" in run(*promote, token=tokens["ann"], code=2).output
    assert "FAIRCOLLECT_TOKEN" in run(*promote, code=2).output
    done = json.loads(run(*promote, token=tokens["bo"]).stdout)
    assert done["promoted_by"] == f"user:{users['bo'].user_id}"
    bad = run(*train, "--name", "x", "--kind", "magic", token=tokens["ann"], code=2)
    assert "unknown kind" in bad.output
    assert "audit" not in bad.output
    assert run(*train, "--name", "y", token=tokens["bo"], code=2).exit_code == 2  # may not train
    assert run("audit", "verify", "--allow-no-checkpoint").exit_code == 0


def test_propensity_dataset_score_and_drift_report(run, people, tmp_path: Path) -> None:
    tokens = people[1]
    tape = tmp_path / "tape"
    run("portfolio", "generate", "--loans", "600", "--seed", "8", "--out", str(tape))
    run("import", str(tape), token=tokens["ann"])
    for day in ("2026-03-02", "2026-04-01", "2026-05-01", "2026-05-31", "2026-06-30"):
        run("batch", "run", "--as-of", day)
    data = tmp_path / "propensity.csv"
    made = json.loads(run("model", "dataset", "--as-of", "2026-05-01", "--as-of", "2026-05-31",
                          "--out", str(data)).stdout)  # fmt: skip
    assert made["rows"] > 50
    assert 0 < made["paid_due_30d"] < made["rows"]
    kept = data.read_bytes()
    again = run("model", "dataset", "--as-of", "2026-05-01", "--out", str(data), code=2)
    assert "pass --force" in again.output
    assert data.read_bytes() == kept
    assert "is the database" in run("model", "dataset", "--as-of", "2026-05-01", "--out",
                                    str(tmp_path / "cli.db"), "--force", code=2).output  # fmt: skip
    reg = str(tmp_path / "models")
    run("model", "train", "--data", str(data), "--target", "paid_due_30d", "--positive", "1",
        "--profile", "collection", "--kind", "lightgbm", "--name", "propensity", "--cv", "3",
        "--registry", reg, token=tokens["ann"])  # fmt: skip
    manifest = json.loads((tmp_path / "models/propensity/v1/manifest.json").read_text())
    assert manifest["extra"]["monotone"]["dpd_now"] == -1
    unpromoted = run("score", "--as-of", "2026-06-30", "--registry", reg, code=2)
    assert "no promoted version" in unpromoted.output
    run("model", "promote", "--name", "propensity", "--version", "1", "--registry", reg,
        token=tokens["bo"])  # fmt: skip
    scored = json.loads(run("score", "--as-of", "2026-06-30", "--registry", reg).stdout)
    assert scored["version"] == 1
    assert scored["accounts"] == sum(scored["bands"].values()) > 0
    report = json.loads(run("model", "report", "--name", "propensity", "--as-of", "2026-06-30",
                            "--registry", reg).stdout)  # fmt: skip
    assert set(report["psi"]) == {*manifest["numeric"], "score"}
    assert all(v["status"] in {"stable", "watch", "drift"} for v in report["psi"].values())
    early = run("score", "--as-of", "2026-03-02", "--registry", reg, code=2)
    assert "no batch results for 2026-01-01, 2026-01-31" in early.output
    assert "2026-03-02" not in early.output.split("run `")[0].split("for ")[1]
    bad_date = run("score", "--as-of", "2026-02-30", "--registry", reg, code=2)
    assert "--as-of" in bad_date.output
    assert run("audit", "verify", "--allow-no-checkpoint").exit_code == 0
