"""Words for the stored codes the pages show (a contact's channel, recipient, verdict, outcome,
a pause's kind): English msgids, translated where shown; an unknown code is shown as it is."""

from __future__ import annotations

from faircollect.entrypoints.web.i18n import N_

LABELS = {
    # channels
    "call": N_("Phone call"),
    "ai_voice": N_("Automated call"),
    "sms": N_("SMS"),
    "email": N_("Email"),
    "push": N_("App notification"),
    "letter": N_("Letter"),
    "visit": N_("Visit"),
    "social_private": N_("Private message"),
    "social_public": N_("Public post"),
    # recipients
    "debtor": N_("to the borrower"),
    "guarantor": N_("to the guarantor"),
    "designated_contact": N_("to a designated contact"),
    "third_party": N_("to a third party"),
    "attorney": N_("to the borrower's lawyer"),
    # gate verdicts
    "allow": N_("allowed"),
    "block": N_("refused"),
    "review": N_("held for review"),
    # outcomes of an attempt
    "connected": N_("connected"),
    "no_answer": N_("no answer"),
    "voicemail": N_("voicemail"),
    "busy": N_("busy"),
    "not_in_service": N_("number not in service"),
    "wrong_number": N_("wrong number"),
    "pending": N_("outcome not recorded yet"),
    # pauses
    "dispute": N_("Dispute"),
    "complaint": N_("Complaint"),
    "hardship": N_("Hardship"),
}


def label(code: str | None) -> str:
    """The English msgid for a stored code (translate it with `_`); the code itself if unknown."""
    if code is None:
        return ""
    return LABELS.get(code, code)
