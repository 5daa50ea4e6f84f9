"""docs/roles.md states the permission matrix and the 7xx audit kinds exactly as the code has them."""

from __future__ import annotations

import re
from pathlib import Path

from faircollect.audit.records import AuditKind
from faircollect.services.authorization import ROLE_PERMISSIONS, Permission, Role

DOC = Path(__file__).parents[3] / "docs" / "roles.md"


def _matrix() -> dict[Role, set[Permission]]:
    lines = [line for line in DOC.read_text("utf-8").splitlines() if line.startswith("| ")]
    header = next(line for line in lines if line.startswith("| permission |"))
    roles = [Role(c.strip(" `")) for c in header.strip("|").split("|")[1:]]
    granted: dict[Role, set[Permission]] = {role: set() for role in roles}
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        if name not in {p.value for p in Permission}:
            continue
        for role, cell in zip(roles, cells[1:], strict=True):
            if cell == "✓":
                granted[role].add(Permission(name))
    return granted


def test_the_documented_matrix_is_role_permissions() -> None:
    assert _matrix() == {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()}


def test_every_permission_and_role_is_documented() -> None:
    text = DOC.read_text("utf-8")
    for name in [p.value for p in Permission] + [r.value for r in Role]:
        assert f"`{name}`" in text


def test_the_documented_identity_kinds_are_the_codes() -> None:
    found = dict(re.findall(r"^\| (7\d\d) \| `([A-Z_]+)` \|", DOC.read_text("utf-8"), re.M))
    expected = {str(k.value): k.name for k in AuditKind if 700 <= k.value < 800}
    assert found == expected
