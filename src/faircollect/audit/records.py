"""Audit records and their canonical byte encoding (the leaf data of the log).

Encoding, version 1 (docs/audit.md), all integers big-endian:
    0x01 | kind u16 | time: microseconds since 1970-01-01 UTC, i64 |
    actor: u16 length + UTF-8 | subject: u16 length + UTF-8 |
    payload: u32 length + canonical JSON (UTF-8, sorted keys, no spaces)
Anyone can rebuild the bytes of a record and its leaf hash from these fields.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class AuditKind(IntEnum):
    """Stable record kinds, in blocks: 1xx ledger, 2xx personal data, 3xx contacts and messages, 4xx
    scripts, 5xx models, 6xx the cycle, 7xx identity and access, 8xx staff reads, 9xx the log,
    10xx (1001-1019) champion/challenger strategies: proposals, approvals and promotions, and the
    daily assignment runs.

    Codes are never reused or renumbered.
    """

    TAPE_IMPORTED = 101
    LOAN_IMPORTED = 102
    BATCH_RUN = 103
    BORROWER_IMPORTED = 104
    PII_VIEWED = 201
    PII_REVEALED = 202
    CONTACT_DECIDED = 301
    MESSAGE_SCREENED = 302
    # Borrower-side facts recorded for the gate (services.borrower_facts): 310-329.
    OPT_OUT_RECORDED = 310
    CEASE_RECORDED = 311
    DISPUTE_RECORDED = 312
    HARDSHIP_RECORDED = 313
    COMPLAINT_RECORDED = 314
    WRONG_NUMBER_RECORDED = 315
    PREFERENCES_RECORDED = 316
    CONTACT_REFUSAL_RECORDED = 317
    VALIDATION_NOTICE_RECORDED = 318
    TEXT_NUMBER_RECORDED = 319
    BORROWER_FACT_ENDED = 320
    EMAIL_ADDRESS_RECORDED = 321
    SCRIPT_DRAFTED = 401
    SCRIPT_APPROVED = 402
    SCRIPT_REJECTED = 403
    SCRIPT_RETIRED = 404
    MODEL_TRAINED = 501
    MODEL_PROMOTED = 502
    SCORES_STORED = 503
    PLAYBOOK_DRAFTED = 601
    PLAYBOOK_APPROVED = 602
    PLAYBOOK_STEP = 603
    MESSAGE_SENT = 604
    PROMISE_RECORDED = 605
    PLAN_CREATED = 606
    CONTACTS_EXPORTED = 607
    LOGIN_SUCCEEDED = 701
    LOGIN_FAILED = 702
    ACCOUNT_LOCKED = 703
    ACCOUNT_UNLOCKED = 704
    LOGGED_OUT = 705
    TOKEN_CREATED = 706
    TOKEN_REVOKED = 707
    TOKEN_USED = 708
    PERMISSION_DENIED = 709
    USER_ADDED = 710
    ROLES_CHANGED = 711
    TOTP_RESET = 712
    BORROWER_CODE_SENT = 713
    BORROWER_CODE_FAILED = 714
    BORROWER_CODE_WITHHELD = 715
    BORROWER_SIGNED_IN = 716
    PASSWORD_CHANGED = 717
    TOKEN_REFUSED = 718
    ACCOUNT_VIEWED = 801
    CHECKPOINT_SIGNED = 901
    STRATEGY_PROPOSED = 1001
    STRATEGY_APPROVED = 1002
    STRATEGY_PROMOTED = 1003
    STRATEGY_ASSIGNED = 1004
    STRATEGY_CHOICE = 1005


class RecordError(ValueError):
    """A record that cannot be encoded or decoded."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what to which subject, when, with details in `payload` (JSON-ready values)."""

    kind: AuditKind
    at: datetime
    actor: str
    subject: str
    payload: dict[str, Any]


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: one byte string per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _text(value: str, what: str) -> bytes:
    data = value.encode()
    if len(data) > 0xFFFF:
        raise RecordError(f"{what} is longer than 65535 bytes")
    return struct.pack(">H", len(data)) + data


def encode_record(record: AuditRecord) -> bytes:
    """The record's canonical bytes."""
    if record.at.tzinfo is None:
        raise RecordError("audit times must be timezone-aware")
    micros = (record.at - EPOCH) // timedelta(microseconds=1)
    payload = canonical_json(record.payload)
    return (
        struct.pack(">BHq", VERSION, int(record.kind), micros)
        + _text(record.actor, "actor")
        + _text(record.subject, "subject")
        + struct.pack(">I", len(payload))
        + payload
    )


def decode_record(data: bytes) -> AuditRecord:
    """Inverse of encode_record; RecordError on anything malformed."""
    try:
        version, kind, micros = struct.unpack_from(">BHq", data, 0)
        if version != VERSION:
            raise RecordError(f"unknown record version {version}")
        offset = 11
        fields = []
        for _ in range(2):
            (length,) = struct.unpack_from(">H", data, offset)
            fields.append(data[offset + 2 : offset + 2 + length].decode())
            offset += 2 + length
        (length,) = struct.unpack_from(">I", data, offset)
        body = data[offset + 4 : offset + 4 + length]
        if offset + 4 + length != len(data):
            raise RecordError("record length does not match its fields")
        payload = json.loads(body)
        record = AuditRecord(
            AuditKind(kind), EPOCH + timedelta(microseconds=micros), fields[0], fields[1], payload
        )
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(f"malformed audit record: {exc}") from exc
    if encode_record(record) != data:
        raise RecordError("record is not in canonical form")
    return record
