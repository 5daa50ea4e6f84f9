"""`faircollect audit …`: verify, prove, checkpoint, witness, bundle, check bundles offline."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.audit_store import AuditLog, AuditLogError
from faircollect.adapters.audit_verify import TamperError, verify_log
from faircollect.adapters.audit_witness import load_witness_key, pull, read_state, write_state
from faircollect.adapters.db.tables import loans
from faircollect.adapters.sql_executors import SqlAlchemyExecutor
from faircollect.audit.bundle import BundleError, build_bundle, check_bundle
from faircollect.audit.checkpoint import CheckpointError, parse_checkpoint
from faircollect.audit.proofs import ProofError
from faircollect.audit.witness import WitnessError, WitnessKey, new_state, parse_cosigner_key
from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.outputs import OutputError, check_output, output_file
from faircollect.kit.clock import SystemClock
from faircollect.kit.limits import MAX_BUNDLE_BYTES

audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log.")
witness_app = typer.Typer(help="An auditor's witness: cosigned checkpoints kept off the database.")
audit_app.add_typer(witness_app, name="witness")
out = Console()
err = Console(stderr=True)
DbOption = Annotated[
    str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB", help="SQLAlchemy URL")
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


@contextmanager
def _reading(db: str | None) -> Iterator[AuditLog]:
    """The log in a read transaction; a request it cannot answer exits 2 with the reason."""
    app = bootstrap(db_url=db)
    with app.engine.connect() as conn:
        try:
            yield app.audit_log(conn)
        except (AuditLogError, ProofError) as exc:
            raise _fail(str(exc)) from exc


@audit_app.command("verify")
def verify(
    db: DbOption = None,
    key: Annotated[
        str | None, typer.Option("--key", help="Verifier key (default: this log's)")
    ] = None,
    witness: Annotated[
        Path | None,
        typer.Option("--witness", help="A witness state file: hold the log to what it cosigned"),
    ] = None,
    allow_no_checkpoint: Annotated[
        bool,
        typer.Option("--allow-no-checkpoint", help="Pass a log that has no checkpoint at all"),
    ] = False,
) -> None:
    """Recompute every hash and checkpoint; exit 1 naming the first bad entry on tampering."""
    try:
        state = read_state(witness) if witness is not None else None
    except WitnessError as exc:
        raise _fail(str(exc)) from exc
    app = bootstrap(db_url=db)
    with app.engine.connect() as conn:
        try:
            report = verify_log(
                app.audit_log(conn),
                verifier_key=key or (state.log_key if state else app.audit_key.verifier_key()),
                witness=state,
                require_checkpoint=not allow_no_checkpoint,
            )
        except TamperError as exc:
            err.print(f"[red]TAMPERED[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
        except WitnessError as exc:
            raise _fail(str(exc)) from exc
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    witnessed = f", witnessed up to size {report.witnessed}" if state is not None else ""
    out.print(
        f"verified: {report.size} entries ({report.records} records),"
        f" {report.checkpoints} checkpoints{witnessed}"
    )


StateOption = Annotated[Path, typer.Option("--state", help="The witness's state file (JSON)")]
KeyFileOption = Annotated[
    Path | None,
    typer.Option("--key-file", help="The witness's key file (default: the state file's .key)"),
]


def _witness_key(state_file: Path, key_file: Path | None, name: str) -> WitnessKey:
    seed = os.environ.get("FAIRCOLLECT_WITNESS_KEY")
    return load_witness_key(seed, key_file or state_file.with_suffix(".key"), name)


@witness_app.command("init")
def witness_init(
    state_file: StateOption,
    log_key: Annotated[str, typer.Option("--log-key", help="The log's verifier key")],
    name: Annotated[
        str, typer.Option("--name", help="The witness's name, e.g. auditor.example/w1")
    ],
    key_file: KeyFileOption = None,
) -> None:
    """Start a witness of the log that `--log-key` verifies; print the witness's public key."""
    try:
        key = _witness_key(state_file, key_file, name)
        write_state(state_file, new_state(key, log_key), create=True)
    except WitnessError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(key.verifier_key())


@witness_app.callback(invoke_without_command=True)
def witness_pull(
    ctx: typer.Context,
    state_file: Annotated[
        Path | None, typer.Option("--state", help="The witness's state file (JSON)")
    ] = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Witness the log's newest checkpoint: verify, check it extends the last one, cosign, keep.

    A rollback, a fork or an inconsistent log exits 1 and leaves the state file unchanged.
    `faircollect audit witness init` makes the state file first.
    """
    if ctx.invoked_subcommand is not None:
        return
    if state_file is None:
        raise typer.BadParameter("give the witness's --state file", param_hint="--state")
    try:
        state = read_state(state_file)
        key = _witness_key(state_file, key_file, parse_cosigner_key(state.witness_key).name)
    except WitnessError as exc:
        raise _fail(str(exc)) from exc
    app = bootstrap(db_url=db)
    timestamp = int(SystemClock().now().timestamp())
    with app.engine.connect() as conn:  # read only: the witness never writes the log
        try:
            after = pull(AuditLog(SqlAlchemyExecutor(conn)), state, key, timestamp=timestamp)
        except WitnessError as exc:
            err.print(f"[red]REFUSED[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
    if after is state:
        out.print(f"nothing new: the log's newest checkpoint is the witnessed size {state.size}")
        return
    write_state(state_file, after)
    typer.echo(after.checkpoints[-1].cosigned(), nl=False)


@audit_app.command("proof")
def proof(
    entry: Annotated[int, typer.Option("--entry", min=0)],
    size: Annotated[int | None, typer.Option("--size", min=1)] = None,
    db: DbOption = None,
) -> None:
    """Inclusion proof of an entry (JSON), against the current or a given tree size."""
    with _reading(db) as log:
        tree_size = size or log.size
        path = log.inclusion_proof(entry, tree_size)
        leaf, root = log.leaf(entry), log.root(tree_size)
    out.print_json(
        json.dumps(
            {
                "index": entry,
                "tree_size": tree_size,
                "leaf_hash": leaf.leaf_hash.hex(),
                "root": root.hex(),
                "proof": [p.hex() for p in path],
            }
        )
    )


@audit_app.command("consistency")
def consistency(
    old: Annotated[int, typer.Option("--from", min=0)],
    new: Annotated[int | None, typer.Option("--to", min=0)] = None,
    db: DbOption = None,
) -> None:
    """Consistency proof between two tree sizes (JSON)."""
    with _reading(db) as log:
        target = log.size if new is None else new
        path = log.consistency_proof(old, target)
        roots = (log.root(old), log.root(target))
    out.print_json(
        json.dumps(
            {
                "from": old,
                "to": target,
                "old_root": roots[0].hex(),
                "new_root": roots[1].hex(),
                "proof": [p.hex() for p in path],
            }
        )
    )


@audit_app.command("checkpoint")
def checkpoint(db: DbOption = None) -> None:
    """Sign and print the current tree head (C2SP signed note)."""
    app = bootstrap(db_url=db)
    with app.engine.begin() as conn:
        signed = app.audit_log(conn).checkpoint()
    typer.echo(signed, nl=False)


@audit_app.command("key")
def key(db: DbOption = None) -> None:
    """Print the log's public verifier key, for regulators and auditors."""
    typer.echo(bootstrap(db_url=db).audit_key.verifier_key())


@audit_app.command("bundle")
def bundle(
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the bundle (JSON)")],
    loan: Annotated[str | None, typer.Option("--loan")] = None,
    borrower: Annotated[str | None, typer.Option("--borrower")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file")] = False,
    db: DbOption = None,
) -> None:
    """Every record about a loan (or a borrower and their loans), with proofs and a checkpoint."""
    if (loan is None) == (borrower is None):
        raise typer.BadParameter("give exactly one of --loan and --borrower")
    app = bootstrap(db_url=db)
    try:  # before the key is loaded: --out may name the key file itself
        check_output(out_file, force=force, settings=app.settings)
    except OutputError as exc:
        raise _fail(str(exc)) from exc
    with app.engine.begin() as conn:
        subjects = [f"loan:{loan}"] if loan else [f"borrower:{borrower}"]
        if borrower:
            owned = conn.execute(select(loans.c.loan_id).where(loans.c.borrower_id == borrower))
            subjects += [f"loan:{lid}" for (lid,) in owned]
        log = app.audit_log(conn)
        signed = log.checkpoint()
        size = parse_checkpoint(signed)[0].size
        indexes = log.indexes_about(subjects)
        if not indexes:
            raise _fail(f"no audit records about {', '.join(subjects)}")
        entries = [(i, log.leaf(i).entry, log.inclusion_proof(i, size)) for i in indexes]
    with output_file(out_file, force=force, settings=app.settings) as handle:
        handle.write(json.dumps(build_bundle(subjects, signed, entries), indent=1))
    out.print(f"wrote {len(entries)} records about {', '.join(subjects)} to {out_file}")


@audit_app.command("check-bundle")
def check_bundle_cmd(
    file: Annotated[Path, typer.Argument(help="Bundle written by `audit bundle`")],
    key_text: Annotated[str, typer.Option("--key", help="The log's verifier key")],
) -> None:
    """Verify a bundle offline (no database): signature, proofs and records."""
    try:
        if file.stat().st_size > MAX_BUNDLE_BYTES:
            raise BundleError(f"{file}: larger than {MAX_BUNDLE_BYTES} bytes")
        checked = check_bundle(file.read_text(encoding="utf-8"), key_text)
    except (BundleError, CheckpointError, OSError, UnicodeDecodeError) as exc:
        err.print(f"[red]NOT VERIFIED[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    for index, record in checked.records:
        out.print(
            f"#{index} {record.at.isoformat()} {record.kind.name} {record.subject} by {record.actor}"
        )
    out.print(
        f"verified {len(checked.records)} records against the signed tree of size {checked.size}"
    )
