"""Borrower sign-in: a one-time code sent to the registered phone, through the gate.

The code is a transactional message (`Purpose.TRANSACTIONAL`): the person asked for it, it says
nothing of a debt, so quiet hours and the collection caps do not stop it and it reserves no
attempt (the caps never count it); the gate still screens its text and honours the borrower's
recorded opt-out of SMS or of the number, a wrong number and their channel preferences (read by
`services.gate_facts`, as for every decision). The gate decides on the text with the code's digits written `000000` and
that is what the decision records: six bare digits are all that differ from the text sent
(a test holds that real codes screen the same), and no digest of a real code is ever stored.

A number nobody (or more than one borrower) registered gets the same answer and sends nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.domain.borrowers import normalise_phone
from faircollect.kit.limits import AUTH
from faircollect.policy import (
    Channel,
    ContactRequest,
    Decision,
    Facts,
    Purpose,
    RecipientRole,
    RulePack,
    evaluate,
    load_pack,
)
from faircollect.policy.packs import PACK_CURRENCY
from faircollect.policy.wire import request_to_dict
from faircollect.services.gate_facts import gate_facts
from faircollect.services.identity.common import (
    IdentityError,
    IssuedSession,
    LoginFailedError,
    LoginRateLimitedError,
    audit,
    borrower_actor,
    counter_key,
    limit,
    mask_address,
    open_session,
)
from faircollect.services.identity.ports import CodeRow, IdentityUnit, RateHit

SYSTEM = "system:sign-in"
PLACEHOLDER = "000000"
CODE_TEXT = {
    "zh": "您的{sender}登录验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。",
    "en": "Your {sender} sign-in code is {code}. It expires in 5 minutes. If you did not ask for"
    " it, ignore this message.",
}
_PACK_OF = {currency: pack for pack, currency in PACK_CURRENCY.items()}


@dataclass(frozen=True, slots=True)
class CodeMessage:
    """A code SMS the gate allowed: to the number as the person typed it (normalised)."""

    code_id: int
    phone: str
    text: str
    at: datetime
    borrower_id: str


class CodeSender(Protocol):
    """How a code leaves: the channel port, in the unit's transaction (bootstrap builds it)."""

    def __call__(self, uow: IdentityUnit, message: CodeMessage, decision: Decision) -> str:
        """Hand the allowed message to the SMS channel; return its receipt."""


@lru_cache(maxsize=16)
def _pack(pack_id: str, on: date) -> RulePack:
    return load_pack(pack_id, on=on)


def code_text(language: str, code: str, sender: str = "FairCollect") -> str:
    """The code SMS in the borrower's language (Chinese unless English)."""
    return CODE_TEXT["en" if language.startswith("en") else "zh"].format(sender=sender, code=code)


def _phone_index(uow: IdentityUnit, phone: str) -> str:
    number = normalise_phone(phone)
    if not 6 <= len(number.lstrip("+")) <= 20:
        raise IdentityError("phone: 6 to 20 digits")
    return uow.pii.index("phone", number)


def _resend_wait(uow: IdentityUnit, hit: RateHit) -> int | None:
    if hit.previous_at is None:
        return None
    since = (uow.clock.now() - hit.previous_at).total_seconds()
    gap = AUTH["code_resend_seconds"]
    return int(gap - since) + 1 if since < gap else None


def request_borrower_code(
    uow: IdentityUnit, *, phone: str, address: str, send: CodeSender, sender: str = "FairCollect"
) -> None:
    """Send a sign-in code to a registered phone (6 digits, 5 minutes, single use, 5 tries).

    Limited per number (3 requests per window, a minute between two: asking too soon counts,
    so it backs off) and per address; over a limit, `LoginRateLimitedError`, for known and
    unknown numbers alike.
    """
    with uow:
        now = uow.clock.now()
        index = _phone_index(uow, phone)
        phone_key = counter_key(uow, "code-phone", index)
        phone_hit = uow.identity.hit(phone_key, now, AUTH["window_seconds"])
        waits = [
            _resend_wait(uow, phone_hit),
            limit(uow, counter_key(uow, "code-address", address), AUTH["code_sends_per_address"]),
        ]
        if phone_hit.count > AUTH["code_sends_per_phone"]:
            end = phone_hit.window_start + timedelta(seconds=AUTH["window_seconds"])
            waits.append(max(1, int((end - now).total_seconds())))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            uow.commit()
            raise LoginRateLimitedError(wait)
        matches = uow.identity.borrowers_by_phone(index)
        code = f"{secrets.randbelow(10 ** AUTH['code_digits']):0{AUTH['code_digits']}d}"
        who = matches[0] if len(matches) == 1 else None
        language = who.language if who else "zh"
        request = ContactRequest(
            at=now, channel=Channel.SMS, recipient_role=RecipientRole.DEBTOR,
            contact_point=index, debt_id="", timezones=(who.timezone if who else "UTC",),
            message=code_text(language, PLACEHOLDER, sender), purpose=Purpose.TRANSACTIONAL,
        )  # fmt: skip
        pack_id = _PACK_OF.get(who.currency or "", "CN") if who else "CN"
        facts = _code_facts(uow, who.borrower_id if who else "", request, normalise_phone(phone))
        decision = evaluate(request, facts, _pack(pack_id, now.date()))  # the same work
        where = mask_address(address)
        store = uow.identity
        # An unknown number does the known one's work where it can (the decision's digest, the
        # code's hash, the update that retires earlier codes, one append to the log), so the
        # answer takes about as long (docs/roles.md gives the measured difference).
        decision_id = decision.decision_id
        code_hash = _code_hash(uow, index, code)
        store.retire_codes(index, now)  # a new code replaces any earlier one
        if who is None:
            reason = "ambiguous" if matches else "unknown"
            uow.audit.append_records([_record_of(uow, AuditKind.BORROWER_CODE_WITHHELD,
                f"phone:{index}", {"reason": reason, "address": where})])  # fmt: skip
            uow.commit()
            return
        decided = _record(uow, who.borrower_id, request, decision, decision_id)
        subject = f"borrower:{who.borrower_id}"
        if not decision.allowed:
            rules = [r.rule_id for r in decision.reasons]
            uow.audit.append_records([decided, _record_of(uow, AuditKind.BORROWER_CODE_WITHHELD,
                subject, {"reason": "gate", "decision_id": decision_id, "address": where,
                "rules": rules})])  # fmt: skip
            uow.commit()
            return
        expires = now + timedelta(seconds=AUTH["code_ttl_seconds"])
        code_id = store.add_code(CodeRow(0, index, who.borrower_id, code_hash, expires, 0), at=now)
        message = CodeMessage(
            code_id, normalise_phone(phone), code_text(language, code, sender), now,
            who.borrower_id,
        )  # fmt: skip
        receipt = send(uow, message, decision)
        uow.audit.append_records([decided, _record_of(uow, AuditKind.BORROWER_CODE_SENT, subject,
            {"code": code_id, "decision_id": decision_id, "receipt": receipt[:128],
             "expires_at": expires.isoformat(), "address": where})])  # fmt: skip
        uow.commit()


def _code_facts(uow: IdentityUnit, borrower_id: str, request: ContactRequest, number: str) -> Facts:
    """The borrower's recorded facts for the code SMS, read where every decision reads them
    (`services.gate_facts`): opt-outs, wrong numbers and channel preferences hold for the person,
    so no loan is named, and no history is read (the caps never count a code). The facts name
    the number as recorded, the request its keyed index: an opt-out of the number is carried
    over to the index. An unknown number reads too (nothing is found), so it answers as slowly.
    """
    facts = gate_facts(
        uow.contacts,
        borrower_id=borrower_id,
        loan_id="",
        request=replace(request, contact_point=number),
        history=(),
    )
    if number not in facts.opted_out:
        return facts
    return replace(facts, opted_out=(facts.opted_out - {number}) | {request.contact_point})


def _record_of(
    uow: IdentityUnit, kind: AuditKind, subject: str, payload: dict[str, object]
) -> AuditRecord:
    return AuditRecord(kind, uow.clock.now(), SYSTEM, subject, payload)


def _code_hash(uow: IdentityUnit, index: str, code: str) -> str:
    return uow.credentials.keyed("borrower-code", f"{index}:{code}")


def _record(
    uow: IdentityUnit,
    borrower_id: str,
    request: ContactRequest,
    decision: Decision,
    decision_id: str,
) -> AuditRecord:
    """Record the gate's decision on the code SMS with its request; return its audit record
    (kind 301), as every decision has one. No attempt is reserved, so no cap counts it."""
    wire = request_to_dict(request)
    uow.contacts.record_decision(
        decision=decision, decision_id=decision_id, borrower_id=borrower_id, loan_id="",
        at=request.at, request=json.dumps(wire, ensure_ascii=False, sort_keys=True),
    )  # fmt: skip
    text = str(wire.pop("message"))
    wire["message_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return _record_of(uow, AuditKind.CONTACT_DECIDED, f"borrower:{borrower_id}",
        {"loan_id": "", "decision_id": decision_id, "verdict": decision.verdict.value,
         "rules": [r.rule_id for r in decision.reasons],
         "pack": f"{decision.pack_id}@{decision.pack_version}", "request": wire})  # fmt: skip


def verify_borrower_code(
    uow: IdentityUnit, *, phone: str, code: str, address: str
) -> IssuedSession:
    """Sign a borrower in with the code sent to their phone; `LoginFailedError` for a wrong,
    used, expired or dead code (one answer), `LoginRateLimitedError` over the limits."""
    with uow:
        now = uow.clock.now()
        index = _phone_index(uow, phone)
        waits = [
            limit(uow, counter_key(uow, "check-phone", index), AUTH["code_checks_per_phone"]),
            limit(uow, counter_key(uow, "check-address", address), AUTH["code_checks_per_address"]),
        ]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            uow.commit()
            raise LoginRateLimitedError(wait)
        store = uow.identity
        row = store.live_code(index, now)
        given = code.strip()
        right = (
            row is not None
            and row.tries < AUTH["code_tries"]
            and len(given) == AUTH["code_digits"]
            and given.isdigit()
            and secrets.compare_digest(_code_hash(uow, index, given), row.code_hash)
        )
        where = mask_address(address)
        if row is None or not right:
            tries = 0
            if row is not None:
                tries = store.code_failed(row.code_id)
                if tries >= AUTH["code_tries"]:
                    store.code_used(row.code_id, now)  # dead: a new code must be asked for
            subject = f"borrower:{row.borrower_id}" if row else f"phone:{index}"
            audit(uow, AuditKind.BORROWER_CODE_FAILED, SYSTEM, subject,
                  {"reason": "wrong" if row else "no_code", "tries": tries, "address": where})  # fmt: skip
            uow.commit()
            raise LoginFailedError
        store.code_used(row.code_id, now)
        actor = borrower_actor(row.borrower_id)
        times = uow.credentials.times
        session = open_session(uow, actor, idle=times.borrower_idle,
                               absolute=times.borrower_absolute, borrower_id=row.borrower_id)  # fmt: skip
        audit(uow, AuditKind.BORROWER_SIGNED_IN, actor.label, actor.label,
              {"code": row.code_id, "address": where})  # fmt: skip
        uow.commit()
        return session
