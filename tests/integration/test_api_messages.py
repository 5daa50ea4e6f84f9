"""Message screening through the API: who may screen, what a verdict carries, and bad bodies
as problem+json naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faircollect.bootstrap import App
from tests.integration.service_support import TokenResolver, bearer

PROBLEM = "application/problem+json"
SCREEN = "/api/v1/messages/screen"


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    with TestClient(create_app(app, resolver=TokenResolver())) as test_client:
        yield test_client


def test_a_threat_is_blocked_with_its_category_span_and_explanations(client: TestClient) -> None:
    text = "再不还钱就去你单位闹，让你同事都知道你欠钱不还"
    answer = client.post(
        SCREEN, json={"id": 7, "text": text, "context": {"pack": "CN"}}, headers=bearer("collector")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == 7
    assert body["verdict"] == "block"
    assert body["categories"]
    assert body["spans"]
    assert all(text[s["start"] : s["end"]] == s["text"] for s in body["spans"])
    assert body["explanation"]["zh"]
    assert body["explanation"]["en"]


def test_a_plain_reminder_passes(client: TestClient) -> None:
    answer = client.post(
        SCREEN,
        json={
            "text": "您好，您的本期账单将于9月1日到期，如已还款请忽略。",
            "context": {"pack": "CN"},
        },
        headers=bearer("agency"),
    )
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "pass"
    assert answer.json()["categories"] == []


def test_who_may_screen(client: TestClient) -> None:
    body = {"text": "您好"}
    assert client.post(SCREEN, json=body).status_code == 401
    for who in ("admin", "b1"):
        denied = client.post(SCREEN, json=body, headers=bearer(who))
        assert denied.status_code == 403
        assert denied.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"{", "body"),
        (b'{"text": "a", "colour": 1}', "body.colour"),
        (b'{"text": 5}', "body.text"),
        (b'{"text": "   "}', "body.text"),
        (b'{"text": "a\\u0000b"}', "body.text"),
        (b'{"text": "a", "context": {"pack": "XX"}}', "body.context.pack"),
        (b'{"text": "a", "context": {"lawful_outstanding_minor": 1.5}}',
         "body.context.lawful_outstanding_minor"),
    ],
)  # fmt: skip
def test_bad_bodies_are_problems_naming_the_field(
    client: TestClient, content: bytes, field: str
) -> None:
    answer = client.post(
        SCREEN, content=content, headers={**bearer("collector"), "Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert [e["field"] for e in answer.json()["errors"]] == [field]
