"""Every API error is application/problem+json a person can read, and nothing is half-written."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.models import Show
from tests.api.conftest import Headers


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.json
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    return body


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/v1/shows/no-such-show", 404),
        ("DELETE", "/api/v1/shows", 405),
        ("PUT", "/api/v1/people", 405),
    ],
)
def test_routing_errors_are_problems(
    client: FlaskClient, auth: Headers, method: str, url: str, status: int
) -> None:
    _problem(client.open(url, method=method, headers=auth), status)


def test_method_not_allowed_names_the_allowed_methods(client: FlaskClient, auth: Headers) -> None:
    response = client.delete("/api/v1/shows", headers=auth)
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_site_errors_stay_html(client: FlaskClient) -> None:
    assert client.get("/no-such-page").mimetype == "text/html"


def test_malformed_json_is_a_400_saying_where_it_broke(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        "/api/v1/shows",
        data='{"title": "Oops",}',
        headers={**auth, "Content-Type": "application/json"},
    )
    body = _problem(response, 400)
    assert "not valid JSON" in body["detail"]
    assert "line 1" in body["detail"]


def test_body_that_is_not_json_is_a_415(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        "/api/v1/shows", data="title=Oops", headers={**auth, "Content-Type": "text/plain"}
    )
    assert "application/json" in _problem(response, 415)["detail"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"title": 42}, "title", "string"),
        ({"title": "A", "is_explicit": "maybe"}, "is_explicit", "boolean"),
        ({"title": "A", "colour": "red"}, "colour", "does not exist"),
        ({}, "title", "required"),
        ({"title": "A", "show_type": "daily"}, "show_type", "Must be one of"),
        ({"title": "A", "language": "x" * 30}, "language", "Longer than"),
    ],
)
def test_wrong_fields_are_422_naming_each_field(
    client: FlaskClient, auth: Headers, body: dict[str, Any], field: str, words: str
) -> None:
    problem = _problem(client.post("/api/v1/shows", json=body, headers=auth), 422)
    errors = {error["field"]: error["message"] for error in problem["errors"]}
    assert words.lower() in errors[field].lower()
    assert db.session.scalar(select(func.count(Show.id))) == 0


@pytest.mark.parametrize("body", [[], "a title", 3, None])
def test_a_body_that_is_not_an_object_is_refused(
    client: FlaskClient, auth: Headers, body: Any
) -> None:
    response = client.post("/api/v1/shows", json=body, headers=auth)
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_domain_error_names_its_field_and_writes_nothing(
    client: FlaskClient, app: Flask, admin_auth: Headers
) -> None:
    created = client.post("/api/v1/shows", json={"title": "Kept"}, headers=admin_auth)
    url = created.headers["Location"]
    response = client.patch(
        url, json={"title": "Half-written", "category": "Not A Category"}, headers=admin_auth
    )
    problem = _problem(response, 400)
    assert problem["errors"] == [
        {"field": "category", "message": "Choose a category from Apple's list."}
    ]
    assert problem["type"] == "urn:catalog:problem:invalid-input"
    assert client.get(url, headers=admin_auth).json["title"] == "Kept"


def test_taken_slug_is_a_409(client: FlaskClient, auth: Headers) -> None:
    client.post("/api/v1/shows", json={"title": "One", "slug": "one"}, headers=auth)
    problem = _problem(
        client.post("/api/v1/shows", json={"title": "Two", "slug": "one"}, headers=auth), 409
    )
    assert problem["errors"][0]["field"] == "slug"


def test_schedule_without_a_time_zone_is_refused(client: FlaskClient, auth: Headers) -> None:
    show = client.post("/api/v1/shows", json={"title": "Zones"}, headers=auth).headers["Location"]
    episode = client.post(f"{show}/episodes", json={"title": "E"}, headers=auth).headers["Location"]
    response = client.put(
        f"{episode}/status",
        json={"status": "scheduled", "publish_at": "2030-01-01T10:00:00"},
        headers=auth,
    )
    assert _problem(response, 422)["errors"][0]["field"] == "publish_at"


def test_lists_are_pages_with_links(client: FlaskClient, admin_auth: Headers) -> None:
    for number in range(5):
        client.post("/api/v1/shows", json={"title": f"Show {number}"}, headers=admin_auth)
    first = client.get("/api/v1/shows?limit=2", headers=admin_auth).json
    assert first["total"] == 5
    assert len(first["items"]) == 2
    assert first["links"]["prev"] is None
    last = client.get(first["links"]["next"], headers=admin_auth).json
    last = client.get(last["links"]["next"], headers=admin_auth).json
    assert len(last["items"]) == 1
    assert last["links"]["next"] is None
    assert last["links"]["prev"] == "/api/v1/shows?limit=2&offset=2"
    _problem(client.get("/api/v1/shows?limit=1000", headers=admin_auth), 422)


def test_openapi_document_and_docs_page_are_served(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/shows/{show_slug}/episode-uploads" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/shows/{show_slug}/episodes" in html
    assert "<script" not in html
