"""`faircollect audit …`: verify, prove, checkpoint, bundle, and check bundles offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from faircollect.adapters.audit_store import AuditLog, AuditLogError
from faircollect.adapters.audit_verify import TamperError, verify_log
from faircollect.adapters.db.tables import loans
from faircollect.audit.bundle import BundleError, build_bundle, check_bundle
from faircollect.audit.checkpoint import CheckpointError, parse_checkpoint
from faircollect.audit.proofs import ProofError
from faircollect.bootstrap import bootstrap
from faircollect.entrypoints.outputs import OutputError, check_output, output_file

audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log.")
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
) -> None:
    """Recompute every hash and checkpoint; exit 1 naming the first bad entry on tampering."""
    app = bootstrap(db_url=db)
    with app.engine.connect() as conn:
        try:
            report = verify_log(
                app.audit_log(conn), verifier_key=key or app.audit_key.verifier_key()
            )
        except TamperError as exc:
            err.print(f"[red]TAMPERED[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
    out.print(
        f"verified: {report.size} entries ({report.records} records), {report.checkpoints} checkpoints"
    )


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
