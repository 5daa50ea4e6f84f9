"""The one key of a contact point: what a recorded borrower fact is stored under and what a
contact request is matched by (`point_key`), on the API and in the daily cycle alike.

A point reaches the gate in one of two shapes:

- a **stored-phone reference**: the daily cycle names the debtor's phone by its keyed index
  (`borrowers.phone_index`, the HMAC of the normalised number; `services.cycle_decide`), so
  no sealed number is opened to decide. It keys to itself.
- a **typed point**: a number or an address as a person or a caller wrote it. A phone number
  in any common formatting (spaces, dashes, dots, parentheses, `+` or `00` and the country
  code, full-width digits) keys to the borrower's stored `phone_index` when it is that number
  in any of its written forms (`phone_forms`), otherwise to the keyed index of its canonical
  form (the `phone` field, as the borrowers' index); an e-mail address keys on its normalised,
  case-folded form; anything else (an account id) on its text, trimmed.

A point is a stored-phone reference exactly when it equals the debtor's own stored
`phone_index`, which the caller reads with the debtor: an explicit comparison with the one
value the cycle sends, not a guess from the point's shape (a 32-hex account handle is not an
index), and unambiguous (a typed number is never the keyed HMAC of a number unless someone
copied the index itself). A scheme prefix on the cycle's points was not chosen: it would change
every point the contact history already holds, so the per-number caps (12 CFR 1006.14(b)(2),
comment 14(b)(2)(i)-2), the contact record export and the replays of past decisions would see
one number as two across the change. The cycle's points, the history, the export and the
masking keep their format.

Facts stored before this key (the keyed index of the raw text, `point_scheme` None) are
re-keyed when the database is opened with its PII key (`adapters.db.fact_rekey`): their sealed
point is opened and keyed here, once, before any decision reads them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol

#: The key scheme of this module, stored with each fact's point (`borrower_facts.point_scheme`):
#: a point recorded under another (none: the keyed index of the raw text) is re-keyed.
POINT_SCHEME = 2
PHONE_FIELD = "phone"  # the field of the borrowers' phone_index: a number keys to it
POINT_FIELD = "contact_point"  # the field of every other point's key
MIN_DIGITS, MAX_DIGITS = 6, 20  # as a borrower's number on a tape or at sign-in
# Written phone numbers: an optional + (or the 00 international prefix), digits and the
# separators people type; NFKC has already turned full-width digits and signs into ASCII.
_PHONE = re.compile(r"\+?[ (]*[0-9][0-9 ().\-/]*")
_SEPARATORS = re.compile(r"[\s().\-/]")


class PointIndexer(Protocol):
    """The keyed index of the PII protector (`services.ports.PiiProtector.index`)."""

    def index(self, field: str, value: str) -> str: ...


def phone_forms(point: str) -> tuple[str, ...] | None:
    """The forms a typed phone number may be stored under, its canonical form first; None when
    `point` is not a phone number.

    The canonical form is what `domain.borrowers.normalise_phone` makes of a tape's number
    (digits, a leading + kept), with full-width digits as ASCII, `00` read as `+`, and a Chinese
    number's +86 dropped for its domestic form (a mobile as is, a landline with its trunk 0):
    Chinese tapes carry domestic numbers. The other forms are the same number written with or
    without its country code (+86, +1 for a ten-digit North American number, +44 for a UK
    number's trunk 0), to find it as the tape wrote it."""
    text = unicodedata.normalize("NFKC", point).strip()
    if not _PHONE.fullmatch(text.replace("00", "+", 1) if text.startswith("00") else text):
        return None
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    bare = digits.lstrip("+")
    if not MIN_DIGITS <= len(bare) <= MAX_DIGITS:
        return None
    if digits.startswith("+86") and len(bare) > 3:
        national = bare[2:]
        mobile = len(national) == 11 and national.startswith("1")
        digits = national if mobile else "0" + national
    forms = [digits]
    if digits.startswith("+1") and len(bare) == 11:
        forms.append(bare[1:])
    elif digits.startswith("+44"):
        forms.append("0" + bare[2:])
    elif not digits.startswith("+"):
        if len(digits) == 11 and digits.startswith("1"):
            forms += ["+86" + digits, "+" + digits]
        elif len(digits) == 10 and not digits.startswith("0"):
            forms.append("+1" + digits)
        elif digits.startswith("0"):
            forms += ["+86" + digits[1:], "+44" + digits[1:]]
    return tuple(forms)


def email_form(point: str) -> str | None:
    """An e-mail address normalised (NFKC, trimmed, case-folded); None when `point` is not one.
    Case-folding the local part too: a provider that told two mailboxes apart by case alone
    would be rare, and missing an opt-out or a wrong address is the worse error."""
    text = unicodedata.normalize("NFKC", point).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in text):
        return None
    return text.casefold()


def point_key(pii: PointIndexer, point: str, *, stored_phone_index: str | None) -> str:
    """The key of `point` for the debtor whose stored phone_index is `stored_phone_index`
    (None: no stored phone known): itself for a stored-phone reference, the stored phone_index
    for that number typed in any of its forms, else the keyed index of its normalised form."""
    if stored_phone_index is not None and point == stored_phone_index:
        return point  # the cycle's reference: nothing opened, nothing computed
    forms = phone_forms(point)
    if forms is not None:
        if stored_phone_index is not None:
            for form in forms:
                if pii.index(PHONE_FIELD, form) == stored_phone_index:
                    return stored_phone_index
        return pii.index(PHONE_FIELD, forms[0])
    email = email_form(point)
    if email is not None:
        return pii.index(POINT_FIELD, email)
    return pii.index(POINT_FIELD, unicodedata.normalize("NFKC", point).strip())
