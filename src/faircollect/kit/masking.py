"""Masks for personal data shown in views and exports."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: 138****5678."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """Keep the first character: 张**, J***."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_id_number(id_number: str) -> str:
    """Keep the first three and last four characters."""
    if len(id_number) <= 7:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]
