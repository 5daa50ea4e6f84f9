"""`faircollect audit …`: verify, prove, checkpoint, witness, bundle, check bundles offline.

The commands that read the database run as the operator (`system:cli:<os user>`, who holds
`audit.read`) through the use cases in services.audit_reads and services.audit_ops.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from faircollect.audit.bundle import BundleError, check_bundle
from faircollect.audit.checkpoint import CheckpointError
from faircollect.audit.witness import WitnessError, WitnessKey, new_state, parse_cosigner_key
from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.cli_identity import operator
from faircollect.entrypoints.outputs import OutputError, check_output, output_file
from faircollect.kit.limits import MAX_BUNDLE_BYTES
from faircollect.services.audit_ops import (
    TamperedLogError,
    borrower_bundle,
    verify_audit_log,
    witness_log,
)
from faircollect.services.audit_reads import (
    NotInLogError,
    inclusion,
    loan_bundle,
    signed_checkpoint,
)
from faircollect.services.audit_reads import (
    consistency as consistency_proof,
)
from faircollect.services.authorization import NotVisibleError

audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log.")
witness_app = typer.Typer(help="An auditor's witness: cosigned checkpoints kept off the database.")
audit_app.add_typer(witness_app, name="witness")
out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error is one line, never cut mid-word
DbOption = Annotated[
    str | None, typer.Option("--db", envvar="FAIRCOLLECT_DB", help="SQLAlchemy URL")
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


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
    app = bootstrap(db_url=db)
    try:
        state = app.witness.read_state(witness) if witness is not None else None
    except WitnessError as exc:
        raise _fail(str(exc)) from exc
    try:
        report = verify_audit_log(
            app.unit_of_work(), app.log_verifier, actor=operator(),
            verifier_key=key or (state.log_key if state else app.audit_key.verifier_key()),
            witness=state, require_checkpoint=not allow_no_checkpoint,
        )  # fmt: skip
    except TamperedLogError as exc:
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
    return bootstrap().witness.load_key(seed, key_file or state_file.with_suffix(".key"), name)


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
        bootstrap().witness.write_state(state_file, new_state(key, log_key), create=True)
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
    app = bootstrap(db_url=db)
    try:
        state = app.witness.read_state(state_file)
        key = _witness_key(state_file, key_file, parse_cosigner_key(state.witness_key).name)
    except WitnessError as exc:
        raise _fail(str(exc)) from exc
    try:  # read only: the witness never writes the log
        after = witness_log(app.unit_of_work(), app.witness, actor=operator(), state=state,
                            key=key)  # fmt: skip
    except WitnessError as exc:
        err.print(f"[red]REFUSED[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    if after is state:
        out.print(f"nothing new: the log's newest checkpoint is the witnessed size {state.size}")
        return
    app.witness.write_state(state_file, after)
    typer.echo(after.checkpoints[-1].cosigned(), nl=False)


@audit_app.command("proof")
def proof(
    entry: Annotated[int, typer.Option("--entry", min=0)],
    size: Annotated[int | None, typer.Option("--size", min=1)] = None,
    db: DbOption = None,
) -> None:
    """Inclusion proof of an entry (JSON), against the current or a given tree size."""
    app = bootstrap(db_url=db)
    try:
        answer = inclusion(app.unit_of_work(), actor=operator(), entry=entry, size=size)
    except NotInLogError as exc:
        raise _fail(f"--{_OPTION[exc.field]}: {exc}") from exc
    out.print_json(json.dumps(answer))


# The use cases name the API's query parameters; the command line's options are these.
_OPTION = {"query.entry": "entry", "query.size": "size", "query.from": "from", "query.to": "to"}


@audit_app.command("consistency")
def consistency(
    old: Annotated[int, typer.Option("--from", min=0)],
    new: Annotated[int | None, typer.Option("--to", min=0)] = None,
    db: DbOption = None,
) -> None:
    """Consistency proof between two tree sizes (JSON)."""
    app = bootstrap(db_url=db)
    try:
        answer = consistency_proof(app.unit_of_work(), actor=operator(), old_size=old,
                                   new_size=new)  # fmt: skip
    except NotInLogError as exc:
        raise _fail(f"--{_OPTION[exc.field]}: {exc}") from exc
    out.print_json(json.dumps(answer))


@audit_app.command("checkpoint")
def checkpoint(db: DbOption = None) -> None:
    """Sign and print the current tree head (C2SP signed note)."""
    app = bootstrap(db_url=db)
    typer.echo(signed_checkpoint(app.unit_of_work(), actor=operator()), nl=False)


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
    try:
        made: dict[str, Any] = (
            loan_bundle(app.unit_of_work(), actor=operator(), loan_id=loan)
            if loan is not None
            else borrower_bundle(app.unit_of_work(), actor=operator(), borrower_id=str(borrower))
        )
    except NotVisibleError as exc:
        raise _fail(f"no loan {loan!r}") from exc
    subjects = ", ".join(made["subjects"])
    if not made["entries"]:
        raise _fail(f"no audit records about {subjects}")
    with output_file(out_file, force=force, settings=app.settings) as handle:
        handle.write(json.dumps(made, indent=1))
    out.print(f"wrote {len(made['entries'])} records about {subjects} to {out_file}")


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
