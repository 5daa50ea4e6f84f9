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


def mask_email(address: str) -> str:
    """Keep the first character of the local part and the domain: a***@example.org."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "*" * len(address)


def mask_point(point: str) -> str:
    """A contact point as views show it: an e-mail address by `mask_email`, else `mask_phone`."""
    return mask_email(point) if "@" in point else mask_phone(point)
