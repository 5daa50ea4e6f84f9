"""The person a benchmarked import acts for: a collections manager and their `tape.import` token,
made by the first admin on a fresh database (outside any timing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faircollect.bootstrap import bootstrap
from faircollect.services.authorization import Role, make_actor
from faircollect.services.identity import add_user, create_first_admin, create_token


def loader_token(url: str) -> str:
    """A token (scope `tape.import`) of a collections manager on the fresh database at `url`,
    with the first admin who makes them: the person the benchmarked import acts for."""
    app = bootstrap(db_url=url)
    root = create_first_admin(app.unit_of_work(), username="bench-admin")
    admin = make_actor("user", root.user_id, root.username, [Role.ADMIN])
    add_user(app.unit_of_work(), actor=admin, username="bench-loader",
             roles=[Role.COLLECTIONS_MANAGER])  # fmt: skip
    issued = create_token(app.unit_of_work(), actor=admin, name="bench", scopes=["tape.import"],
                          expires_at=datetime.now(UTC) + timedelta(days=1),
                          for_user="bench-loader")  # fmt: skip
    app.close()
    return issued.plain
