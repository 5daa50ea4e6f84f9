"""The policy gate, set-based: one pass of NumPy over columns of requests and their histories.

The per-request engine (`faircollect.policy.evaluate`) is the reference. This evaluator decides
the common case — a debtor reached by the lender on a call, AI voice, SMS, e-mail or push, with
no open case flags, consents, opt-outs or visits — with array operations: local
times through a per-zone offset table, daily and seven-day counts with `bincount`, the seven-day
free day and the last conversation by group sorts. Every other row (rows not in the fast lane,
rows on the channels of a rule left to the engine (ENGINE_CHANNELS: US texts, for the text safe
harbor), and every row when the pack has a rule this module does not know) goes to the engine
unchanged.
Reason texts and `not_before` times come from the same helpers the rules use, and a property test
proves batch and engine decide the same on random requests and histories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from faircollect.policy import (
    Channel,
    ContactRequest,
    ContactSource,
    Decision,
    Facts,
    Outcome,
    PolicyInputError,
    RecipientRole,
    Verdict,
    evaluate,
)
from faircollect.policy.decision import Reason
from faircollect.policy.engine import combine
from faircollect.policy.model import CaseFlags
from faircollect.policy.packs import RulePack
from faircollect.policy.rules.amounts import demand_reason
from faircollect.policy.rules.common import at_local, clock, reason, zone
from faircollect.policy.rules.content import content_reason
from faircollect.policy.rules.frequency import (
    AFTER_TEXT,
    ATTEMPTS_TEXT,
    CONNECTED_TEXT,
    MESSAGES_TEXT,
    PATTERN_TEXT,
    SEVEN_TEXT,
    filled,
    morning,
)
from faircollect.policy.rules.holds import validation_reason
from faircollect.policy.rules.hours import CN_NIGHT_TEXT, US_HOURS_TEXT, inside_window, next_start

I64 = npt.NDArray[np.int64]
BOOL = npt.NDArray[np.bool_]

CHANNELS = tuple(Channel)
ROLES = tuple(RecipientRole)
OUTCOMES = tuple(Outcome)
SOURCES = tuple(ContactSource)
_CH = {c: i for i, c in enumerate(CHANNELS)}
_RO = {r: i for i, r in enumerate(ROLES)}
_OU = {o: i for i, o in enumerate(OUTCOMES)}
_SO = {s: i for i, s in enumerate(SOURCES)}
VOICE_CODES = np.array([_CH[Channel.CALL], _CH[Channel.AI_VOICE]])
MESSAGE_CODES = np.array(
    [_CH[c] for c in (Channel.SMS, Channel.EMAIL, Channel.PUSH, Channel.SOCIAL_PRIVATE)]
)
FAST_CHANNELS = np.array(
    [_CH[c] for c in (Channel.CALL, Channel.AI_VOICE, Channel.SMS, Channel.EMAIL, Channel.PUSH)]
)
FAST_SOURCES = np.array([_SO[ContactSource.DEBTOR_PROVIDED], _SO[ContactSource.CONTRACT]])
UNANSWERED = np.array(
    [_OU[o] for o in (Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.BUSY, Outcome.PENDING)]
)
CONNECTED = np.array([_OU[o] for o in (Outcome.CONNECTED, Outcome.PENDING)])
US_COUNTED = np.array(
    [_OU[o] for o in (Outcome.CONNECTED, Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.PENDING)]
)
DEBTOR = _RO[RecipientRole.DEBTOR]
NONE = np.iinfo(np.int64).min  # an instant column's "not known"

#: Rules this module decides in the fast lane; the rest of each pack must be silent there
#: (no flags, consents, opt-outs, visits, agencies, third parties, public posts).
VECTORISED = frozenset(
    {
        "CN-HOURS-NIGHT", "CN-FREQ-CONNECTED-3", "CN-FREQ-ATTEMPTS-6", "CN-FREQ-MESSAGES",
        "CN-AMOUNT-LAWFUL", "CN-MSG-CONTENT", "US-TIME-8-21", "US-CALL-7IN7",
        "US-CALL-AFTER-CONVERSATION", "US-CALL-PATTERN", "US-AMOUNTS", "US-MSG-CONTENT",
        "US-VALIDATION",
    }
)  # fmt: skip
SILENT_IN_FAST_LANE = frozenset(
    {
        "CN-WHO-DEBTOR", "CN-WHO-CONTACT-RESTORE", "CN-WHO-ADDRESSBOOK", "CN-VISIT-TWO",
        "CN-OUT-AGENCY", "CN-CASE-PAUSE", "CN-NO-PUBLIC", "US-3P-BAN", "US-ATTORNEY", "US-CEASE",
        "US-DISPUTE", "US-MEDIUM-OPTOUT", "US-SOCIAL", "US-TIMEBARRED", "US-TIME-DESIGNATED",
        "US-WORKPLACE", "US-EMPLOYER-EMAIL", "US-LOCATION", "US-LCM",
        "US-PLACE-DESIGNATED",
    }
)  # fmt: skip
#: Rules not vectorised that would speak in the fast lane on some channels: under a pack with
#: one of them, the rows on those channels are decided by the engine, row by row.
ENGINE_CHANNELS = {"US-TEXT-SAFE-HARBOR": np.array([_CH[Channel.SMS]])}
_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORDINAL_1970 = date(1970, 1, 1).toordinal()
_HORIZON_US = 36 * 3600 * _US  # the engine searches the next three local days; stay well inside
_TABLE_LIMIT = 20_000  # quarter-hours (about 7 months) before unique buckets are cheaper


def to_us(at: datetime) -> int:
    """An aware instant as integer microseconds since the epoch (exact)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))


@dataclass
class RequestBatch:
    """Columns of requests and their histories (history rows of request i are
    ``offsets[i]:offsets[i+1]``, in time order). Codes index CHANNELS, ROLES, OUTCOMES, SOURCES;
    contact points and debts are integer codes shared by requests and history; ``zones`` and
    ``texts`` are the tables behind ``tz`` and ``message`` (-1: no message). Amounts are minor
    units, -1 for unknown. ``fast`` marks rows the caller vouches are in the fast lane (see
    module doc); others are decided by the engine on ``fallback(i)``."""

    at: I64
    channel: npt.NDArray[np.int8]
    role: npt.NDArray[np.int8]
    source: npt.NDArray[np.int8]
    contact_point: I64
    debt: I64
    tz: I64
    zone_set: I64
    demanded: I64
    lawful: I64
    with_consent: BOOL
    first_communication: BOOL
    message: I64
    fast: BOOL
    offsets: I64
    h_at: I64
    h_channel: npt.NDArray[np.int8]
    h_role: npt.NDArray[np.int8]
    h_contact_point: I64
    h_debt: I64
    h_outcome: npt.NDArray[np.int8]
    h_conversation: BOOL
    h_with_consent: BOOL
    zones: Sequence[str]
    zone_sets: Sequence[tuple[int, ...]] = ()
    texts: Sequence[str] = ()
    fallback: Callable[[int], tuple[ContactRequest, Facts]] | None = None
    # US validation (1006.34(a)(1)): the initial communication and the notice, in µs (NONE:
    # not known), and whether the request is the notice; None for a batch without them.
    first_comm: I64 | None = None
    notice_sent: I64 | None = None
    validation_notice: BOOL | None = None

    def __len__(self) -> int:
        return len(self.at)

    def check(self) -> None:
        """Shapes agree and every history is in time order; errors name the request row."""
        n = len(self.at)
        for name in ("channel", "role", "source", "contact_point", "debt", "tz", "zone_set", "demanded",
                     "lawful", "with_consent", "first_communication", "message", "fast",
                     "first_comm", "notice_sent", "validation_notice"):  # fmt: skip
            column = getattr(self, name)
            if column is not None and len(column) != n:
                raise PolicyInputError(
                    f"batch column {name} has {len(getattr(self, name))} rows, not {n}"
                )
        if len(self.offsets) != n + 1 or self.offsets[0] != 0 or self.offsets[-1] != len(self.h_at):
            raise PolicyInputError("batch history offsets do not cover the history columns")
        if len(self.h_at) > 1:
            back = np.flatnonzero(np.diff(self.h_at) < 0) + 1  # first row of each inversion
            owner = np.searchsorted(self.offsets, back, side="right") - 1
            inside = back > self.offsets[owner]
            if inside.any():
                row = int(owner[inside][0])
                raise PolicyInputError(
                    f"batch request {row}: the contact history must be in time order"
                )
        if (~self.fast).any() and self.fallback is None:
            raise PolicyInputError("batch rows outside the fast lane need a fallback")


@dataclass
class BatchResult:
    """Verdicts for every row; reasons and not_before only where something fired."""

    verdict: npt.NDArray[np.int8]  # index into VERDICTS
    reasons: dict[int, tuple[Reason, ...]] = field(default_factory=dict)
    not_before: dict[int, datetime] = field(default_factory=dict)
    pack_id: str = ""
    pack_version: str = ""
    fallback_rows: int = 0

    def row(self, i: int) -> tuple[Verdict, tuple[Reason, ...], datetime | None]:
        return VERDICTS[int(self.verdict[i])], self.reasons.get(i, ()), self.not_before.get(i)


VERDICTS = (Verdict.ALLOW, Verdict.REVIEW, Verdict.BLOCK)
_VCODE = {v: i for i, v in enumerate(VERDICTS)}


def fast_lane(request: ContactRequest, facts: Facts) -> bool:
    """Whether this request and its facts are in the fast lane (see module doc)."""
    return (
        request.recipient_role is RecipientRole.DEBTOR
        and request.contact_source in (ContactSource.DEBTOR_PROVIDED, ContactSource.CONTRACT)
        and request.channel in (Channel.CALL, Channel.AI_VOICE, Channel.SMS, Channel.EMAIL, Channel.PUSH)
        and request.by == "lender"
        and not (request.end_of_collection_notice or request.workplace or request.employer_email
                 or request.consumer_initiated_reply or request.location_only or request.voicemail
                 or request.place is not None)
        and facts.flags == CaseFlags()
        and not (facts.night_consent or facts.refused_contacts or facts.opted_out or facts.inconvenient
                 or facts.employer_forbids_contact or facts.employer_email_consent
                 or facts.inconvenient_places)
    )  # fmt: skip


def batch_from_objects(items: Sequence[tuple[ContactRequest, Facts]]) -> RequestBatch:
    """Columns from request and facts objects (for callers that hold objects, and for tests)."""
    points: dict[str, int] = {}
    debts: dict[str, int] = {}
    zones: dict[str, int] = {}
    texts: dict[str, int] = {}
    sets: dict[tuple[int, ...], int] = {}
    cols: dict[str, list[Any]] = {k: [] for k in (
        "at", "channel", "role", "source", "cp", "debt", "tz", "set", "demanded", "lawful", "consent",
        "first", "message", "fast", "fc", "sent", "notice")}  # fmt: skip
    hist: dict[str, list[Any]] = {
        k: [] for k in ("at", "channel", "role", "cp", "debt", "outcome", "talk", "consent")
    }
    offsets = [0]
    for req, facts in items:
        cols["at"].append(to_us(req.at))
        cols["channel"].append(_CH[req.channel])
        cols["role"].append(_RO[req.recipient_role])
        cols["source"].append(_SO[req.contact_source])
        cols["cp"].append(points.setdefault(req.contact_point, len(points)))
        cols["debt"].append(debts.setdefault(req.debt_id, len(debts)))
        cols["tz"].append(zones.setdefault(req.timezones[0], len(zones)))
        members = tuple(zones.setdefault(z, len(zones)) for z in req.timezones)
        cols["set"].append(sets.setdefault(members, len(sets)))
        cols["demanded"].append(-1 if req.demanded_amount is None else req.demanded_amount)
        cols["lawful"].append(-1 if facts.lawful_outstanding is None else facts.lawful_outstanding)
        cols["consent"].append(req.with_consent)
        cols["first"].append(req.first_communication)
        cols["message"].append(
            -1 if req.message is None else texts.setdefault(req.message, len(texts))
        )
        cols["fast"].append(fast_lane(req, facts))
        first, sent = facts.first_communication_at, facts.validation_notice_sent_at
        cols["fc"].append(NONE if first is None else to_us(first))
        cols["sent"].append(NONE if sent is None else to_us(sent))
        cols["notice"].append(req.validation_notice)
        for a in facts.history:
            hist["at"].append(to_us(a.at))
            hist["channel"].append(_CH[a.channel])
            hist["role"].append(_RO[a.recipient_role])
            hist["cp"].append(points.setdefault(a.contact_point, len(points)))
            hist["debt"].append(debts.setdefault(a.debt_id, len(debts)))
            hist["outcome"].append(_OU[a.outcome])
            hist["talk"].append(a.conversation)
            hist["consent"].append(a.with_consent)
        offsets.append(len(hist["at"]))
    i8, i64 = np.int8, np.int64
    return RequestBatch(
        at=np.array(cols["at"], dtype=i64), channel=np.array(cols["channel"], dtype=i8),
        role=np.array(cols["role"], dtype=i8), source=np.array(cols["source"], dtype=i8),
        contact_point=np.array(cols["cp"], dtype=i64), debt=np.array(cols["debt"], dtype=i64),
        tz=np.array(cols["tz"], dtype=i64), zone_set=np.array(cols["set"], dtype=i64), demanded=np.array(cols["demanded"], dtype=i64),
        lawful=np.array(cols["lawful"], dtype=i64), with_consent=np.array(cols["consent"], dtype=bool),
        first_communication=np.array(cols["first"], dtype=bool),
        message=np.array(cols["message"], dtype=i64), fast=np.array(cols["fast"], dtype=bool),
        offsets=np.array(offsets, dtype=i64), h_at=np.array(hist["at"], dtype=i64),
        h_channel=np.array(hist["channel"], dtype=i8), h_role=np.array(hist["role"], dtype=i8),
        h_contact_point=np.array(hist["cp"], dtype=i64), h_debt=np.array(hist["debt"], dtype=i64),
        h_outcome=np.array(hist["outcome"], dtype=i8), h_conversation=np.array(hist["talk"], dtype=bool),
        h_with_consent=np.array(hist["consent"], dtype=bool),
        zones=list(zones), zone_sets=list(sets), texts=list(texts), fallback=lambda i: items[i],
        first_comm=np.array(cols["fc"], dtype=i64), notice_sent=np.array(cols["sent"], dtype=i64),
        validation_notice=np.array(cols["notice"], dtype=bool),
    )  # fmt: skip


def _offsets(at: I64, tz: I64, zones: Sequence[str]) -> I64:
    """UTC offset in microseconds of each instant in its zone, from a table per zone over
    quarter-hour buckets (offsets change only on quarter-hour UTC instants in the tz database
    for present-day zones)."""
    out = np.zeros(len(at), dtype=np.int64)
    quarter = 900 * _US
    for code, name in enumerate(zones):
        sel = np.flatnonzero(tz == code)
        if not len(sel):
            continue
        place = zone(name)
        buckets = at[sel] // quarter
        low = int(buckets.min())
        span = int(buckets.max()) - low + 1
        if span <= _TABLE_LIMIT:
            keys, where = np.arange(low, low + span, dtype=np.int64), buckets - low
        else:
            keys, where = np.unique(buckets, return_inverse=True)
        table = np.empty(len(keys), dtype=np.int64)
        for k, bucket in enumerate(keys.tolist()):
            offset = from_us(bucket * quarter).astimezone(place).utcoffset()
            table[k] = (offset.days * 86_400 + offset.seconds) * _US if offset else 0
        out[sel] = table[where]
    return out


def _count(owner: I64, mask: BOOL, n: int) -> I64:
    return np.bincount(owner[mask], minlength=n).astype(np.int64)


def evaluate_batch(batch: RequestBatch, pack: RulePack) -> BatchResult:
    """Decide every row of ``batch`` under ``pack``; the same decisions as the engine's."""
    batch.check()
    n = len(batch)
    known = VECTORISED | SILENT_IN_FAST_LANE | set(ENGINE_CHANNELS)
    fast = batch.fast.copy() if set(pack.rules) <= known else np.zeros(n, dtype=bool)
    for rule_id, engine_channels in ENGINE_CHANNELS.items():
        if rule_id in pack.rules:
            fast &= ~np.isin(batch.channel, engine_channels)
    result = BatchResult(
        np.zeros(n, dtype=np.int8), pack_id=pack.pack_id, pack_version=pack.version
    )
    found: dict[int, list[Reason]] = {}

    def add(
        rows: npt.NDArray[np.intp],
        build: Callable[[int], Reason | None],
        key: Callable[[int], object] | None = None,
    ) -> None:
        # Reasons are immutable: rows with the same key (count, zone, day…) share one object,
        # so a batch with many blocked rows formats each distinct message once.
        memo: dict[object, Reason | None] = {}
        for i in rows.tolist():
            if key is None:
                got = build(i)
            else:
                k = key(i)
                if k in memo:
                    got = memo[k]
                else:
                    got = memo[k] = build(i)
            if got is not None:
                found.setdefault(i, []).append(got)

    if fast.any():
        _decide_fast(batch, pack, fast, add)
    slow = np.flatnonzero(~fast).tolist()
    if slow and batch.fallback is None:
        raise PolicyInputError("batch rows outside the fast lane need a fallback")
    for i in slow:
        request, facts = batch.fallback(i)  # type: ignore[misc]
        decision: Decision = evaluate(request, facts, pack)
        if decision.reasons:
            found[i] = list(decision.reasons)
    result.fallback_rows = int((~fast).sum())
    # Rows share reason objects (see `add`): combine each distinct set of reasons once.
    combined: dict[tuple[int, ...], tuple[int, tuple[Reason, ...], datetime | None]] = {}
    codes = []
    for i, reasons in found.items():
        ids = tuple(map(id, reasons))
        got = combined.get(ids)
        if got is None:
            got = combined[ids] = _combine(reasons)
        codes.append(got[0])
        result.reasons[i] = got[1]
        if got[2] is not None:
            result.not_before[i] = got[2]
    result.verdict[list(found)] = codes
    return result


def _combine(reasons: list[Reason]) -> tuple[int, tuple[Reason, ...], datetime | None]:
    """A row's verdict code, reasons and not_before, as the engine combines them."""
    verdict, not_before = combine(reasons)
    return _VCODE[verdict], tuple(reasons), not_before


def _decide_fast(
    b: RequestBatch,
    pack: RulePack,
    fast: BOOL,
    add: Callable[..., None],
) -> None:
    n = len(b)
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(b.offsets))
    live = fast[owner]  # history rows of fast-lane requests
    off = _offsets(b.at, b.tz, b.zones)
    h_off = _offsets(b.h_at, b.tz[owner], b.zones)
    local = b.at + off
    day = local // _DAY_US
    tod = local % _DAY_US
    h_day = (b.h_at + h_off) // _DAY_US
    same_day = h_day == day[owner]
    voice = np.isin(b.channel, VOICE_CODES)
    h_voice = np.isin(b.h_channel, VOICE_CODES)
    h_debtor = b.h_role == DEBTOR
    at_dt: dict[int, datetime] = {}

    def when(i: int) -> datetime:
        got = at_dt.get(i)
        if got is None:
            got = at_dt[i] = from_us(int(b.at[i]))
        return got

    mornings: dict[tuple[int, int, str], datetime] = {}

    def morning_of(i: int, local_day: int, params: Mapping[str, Any]) -> datetime:
        key = (int(b.tz[i]), local_day, str(params.get("day_starts", "08:00")))
        got = mornings.get(key)
        if got is None:
            got = mornings[key] = morning(
                date.fromordinal(_ORDINAL_1970 + local_day), b.zones[key[0]], params
            )
        return got

    for rule_id, params in pack.rules.items():
        if rule_id in SILENT_IN_FAST_LANE:
            continue
        rows: npt.NDArray[np.intp]
        if rule_id in ("CN-HOURS-NIGHT", "US-TIME-8-21"):
            start, end = (
                clock(params.get("start", "08:00")),
                clock(params.get("end", "21:00" if rule_id == "US-TIME-8-21" else "22:00")),
            )
            lo, hi = _tod_us(start), _tod_us(end)
            inside = (tod >= lo) & (tod < hi)
            every_zone = rule_id == "US-TIME-8-21"
            if every_zone:  # where the consumer may be in several zones, inside in all of them
                for code, members in enumerate(b.zone_sets):
                    sel = np.flatnonzero(fast & (b.zone_set == code))
                    for member in members[1:]:
                        there = b.at[sel] + _offsets(b.at[sel], np.full(len(sel), member), b.zones)
                        moment = there % _DAY_US
                        inside[sel] &= (moment >= lo) & (moment < hi)
            rows = np.flatnonzero(fast & ~inside)
            text = US_HOURS_TEXT if every_zone else CN_NIGHT_TEXT

            def hours(i: int, rid: str = rule_id, p: Mapping[str, Any] = params, t: tuple[str, str] = text,
                      s: time = start, e: time = end, every: bool = every_zone) -> Reason:  # fmt: skip
                names = b.zone_sets[int(b.zone_set[i])] if every else (int(b.tz[i]),)
                return reason(rid, p, t[0].format(start=s, end=e), t[1].format(start=s, end=e),
                              not_before=next_start(when(i), tuple(b.zones[z] for z in names), s, e))  # fmt: skip

            openings: dict[int, I64] = {}

            def hours_key(i: int, every: bool = every_zone, low: int = lo, s: time = start,
                          e: time = end, rows_: npt.NDArray[np.intp] = rows,
                          found_: dict[int, I64] = openings) -> object:  # fmt: skip
                code = int(b.zone_set[i])
                members = b.zone_sets[code] if every else (int(b.tz[i]),)
                if len(members) == 1:
                    # In one zone the next start depends only on the local day and on whether
                    # the window has opened yet.
                    return (members[0], int(day[i]), bool(tod[i] < low))
                # Several zones: the next start is the first window opening (in any of them) at
                # which every zone is inside; rows before the same opening share it.
                if code not in found_:
                    found_[code] = _openings(
                        b, rows_[b.zone_set[rows_] == code], members, s, e, day
                    )
                table = found_[code]
                k = int(np.searchsorted(table, b.at[i], side="left"))
                if k == len(table) or table[k] - b.at[i] > _HORIZON_US:
                    return ("row", i)  # beyond what the engine searches: decided row by row
                return ("set", code, k)

            add(rows, hours, hours_key)
        elif rule_id in ("CN-FREQ-CONNECTED-3", "CN-FREQ-ATTEMPTS-6", "CN-FREQ-MESSAGES"):
            if rule_id == "CN-FREQ-CONNECTED-3":
                applies = fast & voice
                keep = h_voice & h_debtor & np.isin(b.h_outcome, CONNECTED)
                default, text = 3, CONNECTED_TEXT
            elif rule_id == "CN-FREQ-ATTEMPTS-6":
                applies = fast & voice
                keep = (
                    h_voice
                    & (b.h_contact_point == b.contact_point[owner])
                    & np.isin(b.h_outcome, UNANSWERED)
                )
                default, text = 6, ATTEMPTS_TEXT
            else:
                applies = fast & np.isin(b.channel, MESSAGE_CODES)
                keep = np.isin(b.h_channel, MESSAGE_CODES) & h_debtor
                default, text = 3, MESSAGES_TEXT
            limit = int(params.get("limit", default))
            count = _count(owner, keep & same_day & live, n)
            rows = np.flatnonzero(applies & (count >= limit))

            def daily(i: int, rid: str = rule_id, p: Mapping[str, Any] = params, t: tuple[str, str] = text,
                      c: I64 = count, lim: int = limit) -> Reason:  # fmt: skip
                zh, en = filled(t, count=int(c[i]), limit=lim)
                return reason(rid, p, zh, en, not_before=morning_of(i, int(day[i]) + 1, p))

            add(rows, daily, lambda i, c=count: (int(c[i]), int(b.tz[i]), int(day[i])))
        elif rule_id in ("US-CALL-7IN7", "US-CALL-PATTERN"):
            counted = (h_voice & h_debtor & (b.h_debt == b.debt[owner]) & np.isin(b.h_outcome, US_COUNTED)
                       & ~b.h_with_consent & live)  # fmt: skip
            if rule_id == "US-CALL-7IN7":
                applies = fast & voice & ~b.with_consent
                limit = int(params.get("limit", 7))
                inside = counted & (h_day >= day[owner] - 6) & (h_day <= day[owner])
                count = _count(owner, inside, n)
                rows = np.flatnonzero(applies & (count >= limit))
                # The limit-th newest counted day leaves the window last: sort days per request.
                idx = np.flatnonzero(inside)
                order = np.lexsort((h_day[idx], owner[idx]))
                sorted_days = h_day[idx][order]
                first = np.searchsorted(owner[idx][order], np.arange(n), side="left")

                def seven(i: int, p: Mapping[str, Any] = params, c: I64 = count, lim: int = limit,
                          d: I64 = sorted_days, f: npt.NDArray[np.intp] = first) -> Reason:  # fmt: skip
                    k = int(c[i])
                    free = int(d[int(f[i]) + k - lim]) + 7
                    zh, en = filled(SEVEN_TEXT, count=k, limit=lim)
                    return reason("US-CALL-7IN7", p, zh, en, not_before=morning_of(i, free, p))

                def seven_key(i: int, c: I64 = count, lim: int = limit, d: I64 = sorted_days,
                              f: npt.NDArray[np.intp] = first) -> object:  # fmt: skip
                    k = int(c[i])
                    return (k, int(b.tz[i]), int(d[int(f[i]) + k - lim]))

                add(rows, seven, seven_key)
            else:
                applies = fast & voice
                gap = int(params.get("rapid_minutes", 5)) * 60 * _US
                rapid = _count(owner, h_voice & (b.h_contact_point == b.contact_point[owner])
                               & (np.abs(b.at[owner] - b.h_at) < gap) & live, n) > 0  # fmt: skip
                today = _count(owner, counted & same_day, n)
                concentrated = today >= int(params.get("daily_limit", 6))
                rows = np.flatnonzero(applies & (rapid | concentrated))

                def pattern(i: int, p: Mapping[str, Any] = params, r: BOOL = rapid) -> Reason:
                    what = "calls in rapid succession" if r[i] else "calls concentrated in one day"
                    return reason(
                        "US-CALL-PATTERN", p, PATTERN_TEXT[0], PATTERN_TEXT[1].format(what=what)
                    )

                add(rows, pattern, lambda i, r=rapid: bool(r[i]))
        elif rule_id == "US-CALL-AFTER-CONVERSATION":
            days = int(params.get("days", 7))
            applies = fast & voice & ~b.with_consent
            talk = (h_voice & b.h_conversation & (b.h_debt == b.debt[owner]) & (b.h_at <= b.at[owner])
                    & (h_day <= day[owner]) & (day[owner] < h_day + days) & live)  # fmt: skip
            last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
            np.maximum.at(last, owner[talk], h_day[talk])
            rows = np.flatnonzero(applies & (last > np.iinfo(np.int64).min))

            def after(
                i: int, p: Mapping[str, Any] = params, d: int = days, lt: I64 = last
            ) -> Reason:
                zh, en = filled(AFTER_TEXT, days=d)
                return reason("US-CALL-AFTER-CONVERSATION", p, zh, en,
                              not_before=morning_of(i, int(lt[i]) + d, p))  # fmt: skip

            add(rows, after, lambda i, lt=last: (int(b.tz[i]), int(lt[i])))
        elif rule_id in ("CN-AMOUNT-LAWFUL", "US-AMOUNTS"):
            rows = np.flatnonzero(
                fast & (b.demanded >= 0) & ((b.lawful < 0) | (b.demanded > b.lawful))
            )

            def amount(i: int, rid: str = rule_id, p: Mapping[str, Any] = params) -> Reason | None:
                lawful = int(b.lawful[i])
                return demand_reason(rid, p, int(b.demanded[i]), None if lawful < 0 else lawful)

            add(rows, amount)
        elif rule_id == "US-VALIDATION":
            if b.first_comm is None:
                continue  # the batch carries no initial communications: the rule is silent
            sent = b.notice_sent if b.notice_sent is not None else np.full(n, NONE, dtype=np.int64)
            rows = _validation_rows(
                b, b.first_comm, sent, fast, day, int(params.get("notice_days", 5))
            )
            late = (sent != NONE) & (sent <= b.at)  # a notice went out, late, before the request

            def validation(i: int, p: Mapping[str, Any] = params, lt: BOOL = late) -> Reason:
                return validation_reason(p, int(p.get("notice_days", 5)), late=bool(lt[i]))

            add(rows, validation, lambda i, lt=late: bool(lt[i]))
        elif rule_id in ("CN-MSG-CONTENT", "US-MSG-CONTENT"):
            written = ~voice
            rows = np.flatnonzero(fast & ((b.message >= 0) | written))
            pack_name = "CN" if rule_id == "CN-MSG-CONTENT" else "US"

            def content(
                i: int, rid: str = rule_id, p: Mapping[str, Any] = params, pk: str = pack_name
            ) -> Reason | None:
                code, lawful = int(b.message[i]), int(b.lawful[i])
                return content_reason(
                    rid, pk, p, message=None if code < 0 else b.texts[code],
                    channel=CHANNELS[int(b.channel[i])], role=ROLES[int(b.role[i])].value,
                    first_communication=bool(b.first_communication[i]),
                    lawful_outstanding=None if lawful < 0 else lawful, time_barred=False,
                )  # fmt: skip

            # The result depends on these values only: rows that share them share the reason.
            add(rows, content, lambda i: (int(b.message[i]), int(b.channel[i]), int(b.role[i]),
                                          bool(b.first_communication[i]), int(b.lawful[i])))  # fmt: skip


def _local_days(at: I64, tz: I64, zones: Sequence[str]) -> I64:
    return (at + _offsets(at, tz, zones)) // _DAY_US


def _validation_rows(
    b: RequestBatch, first: I64, notice_sent: I64, fast: BOOL, day: I64, days: int
) -> npt.NDArray[np.intp]:
    """Rows past `days` after the initial communication with no notice sent within them, as
    US-VALIDATION decides (local days in the request's first zone)."""
    notice = b.validation_notice if b.validation_notice is not None else np.zeros(len(b), bool)
    sel = np.flatnonzero(fast & (first != NONE) & ~notice)
    last_day = _local_days(first[sel], b.tz[sel], b.zones) + days
    sent = notice_sent[sel]
    has_sent = sent != NONE
    sent_day = np.full(len(sel), np.iinfo(np.int64).max, dtype=np.int64)
    sent_day[has_sent] = _local_days(sent[has_sent], b.tz[sel][has_sent], b.zones)
    return sel[(sent_day > last_day) & (day[sel] > last_day)]


def _openings(
    b: RequestBatch,
    rows: npt.NDArray[np.intp],
    members: tuple[int, ...],
    start: time,
    end: time,
    day: I64,
) -> I64:
    """Sorted instants (µs) at which a window opens in one of `members` while every member is
    inside it, over the local days these rows span (with margin)."""
    names = tuple(b.zones[z] for z in members)
    first, last = int(day[rows].min()) - 1, int(day[rows].max()) + 3
    found: list[int] = []
    for d in range(first, last + 1):
        for name in names:
            moment = at_local(date.fromordinal(_ORDINAL_1970 + d), start, name)
            if all(inside_window(moment, other, start, end) for other in names):
                found.append(to_us(moment))
    return np.unique(np.array(found, dtype=np.int64))


def _tod_us(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _US + moment.microsecond
