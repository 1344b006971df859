"""The OpenAPI schema in CI: docs/api/openapi.yaml is what the code generates (in
Chinese), it validates, and every summary and description an integrator reads is Chinese.

After changing an endpoint: `make api-schema` and commit docs/api/openapi.yaml. A breaking
change (an endpoint, a method or an answer's field removed, a request field or parameter
made required) needs a new API version (/api/v2/), not a new file under v1."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from api import docs

from ..otp import login_as
from ..test_chinese_ui import latin_words

COMMITTED = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"
REGENERATE = (
    "make api-schema  (manage.py spectacular --lang zh-hans --validate --fail-on-warn "
    "--file docs/api/openapi.yaml)"
)


def _operations(schema):
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method in docs.METHODS:
                yield path, method, op


def _resolve(schema, node):
    for _ in range(10):
        if "$ref" not in node:
            break
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _response_fields(schema, node, prefix=""):
    node = _resolve(schema, node)
    if node.get("type") == "array":
        return _response_fields(schema, node.get("items", {}), prefix + "[]")
    names = set()
    for name, prop in node.get("properties", {}).items():
        names.add(prefix + name)
        names |= _response_fields(schema, prop, f"{prefix}{name}.")
    return names


def _json(body):
    return (body.get("content", {}).get("application/json") or {}).get("schema") or {}


def breaking_changes(old: dict, new: dict) -> list[str]:
    """What a client written against `old` would trip over in `new`."""
    found = []
    new_ops = {(path, method): op for path, method, op in _operations(new)}
    for path, method, op in _operations(old):
        key = (path, method)
        if key not in new_ops:
            found.append(f"{method.upper()} {path} removed")
            continue
        fresh = new_ops[key]
        for status, response in op.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            gone = _response_fields(old, _json(response)) - _response_fields(
                new, _json(fresh.get("responses", {}).get(status, {}))
            )
            if gone:
                found.append(f"{method.upper()} {path} {status}: fields gone {sorted(gone)}")
        old_required = {p["name"] for p in op.get("parameters", []) if p.get("required")}
        new_required = {p["name"] for p in fresh.get("parameters", []) if p.get("required")}
        if added := new_required - old_required:
            found.append(f"{method.upper()} {path}: parameters now required {sorted(added)}")
        old_body = _resolve(old, _json(op.get("requestBody", {})))
        new_body = _resolve(new, _json(fresh.get("requestBody", {})))
        if added := set(new_body.get("required", [])) - set(old_body.get("required", [])):
            found.append(f"{method.upper()} {path}: request fields now required {sorted(added)}")
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    target = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command(
        "spectacular",
        "--lang",
        "zh-hans",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
    )
    return target.read_bytes()


def test_the_committed_schema_is_what_the_code_generates(generated):
    committed = COMMITTED.read_bytes()
    if generated == committed:
        return
    breaking = breaking_changes(yaml.safe_load(committed), yaml.safe_load(generated))
    message = f"docs/api/openapi.yaml is out of date: regenerate it with\n    {REGENERATE}\n"
    if breaking:
        message += (
            "and note: these changes break clients of /api/v1/, which need a new API version "
            "instead:\n    " + "\n    ".join(breaking)
        )
    pytest.fail(message, pytrace=False)


def test_the_committed_schema_validates():
    validate_schema(yaml.safe_load(COMMITTED.read_bytes()))


def test_the_docs_page_gives_the_committed_schema_file(cast, client):
    login_as(client, cast.user("district_staff"))
    response = client.get("/api-docs/openapi.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert response.content == COMMITTED.read_bytes()


def _texts(schema):
    for path, method, op in _operations(schema):
        where = f"{method.upper()} {path}"
        yield where, op.get("summary", "")
        yield where, op.get("description", "")
        for parameter in op.get("parameters", []):
            yield f"{where} ?{parameter['name']}", parameter.get("description", "")
        for status, response in op.get("responses", {}).items():
            yield f"{where} -> {status}", response.get("description", "")
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        yield name, component.get("description", "")
        for field, prop in component.get("properties", {}).items():
            yield f"{name}.{field}", prop.get("description", "")


def test_every_summary_and_description_is_chinese():
    """Write them with gettext_lazy and give the zh_Hans msgstr (api/locale), or the docs
    page shows English. Docstrings never become descriptions (api.schema.AutoSchema)."""
    schema = yaml.safe_load(COMMITTED.read_bytes())
    # `code` spans are wire values (an enum's codes beside their Chinese labels), not prose.
    english = {
        where: sorted(words)
        for where, text in _texts(schema)
        if (words := latin_words(re.sub(r"`[^`]*`", "", text)))
    }
    assert english == {}


def test_every_operation_has_a_summary():
    schema = yaml.safe_load(COMMITTED.read_bytes())
    missing = [f"{m.upper()} {p}" for p, m, op in _operations(schema) if not op.get("summary")]
    assert missing == [], "give each endpoint extend_schema(summary=_('...'))"


def test_a_breaking_change_is_named():
    old = {
        "paths": {
            "/a/": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {"schema": {"properties": {"x": {}, "y": {}}}}
                            }
                        }
                    }
                }
            },
            "/b/": {"get": {"responses": {}}},
        }
    }
    new = {
        "paths": {
            "/a/": {
                "get": {
                    "parameters": [{"name": "q", "required": True}],
                    "responses": {
                        "200": {
                            "content": {"application/json": {"schema": {"properties": {"x": {}}}}}
                        }
                    },
                }
            }
        }
    }
    assert breaking_changes(old, new) == [
        "GET /a/ 200: fields gone ['y']",
        "GET /a/: parameters now required ['q']",
        "GET /b/ removed",
    ]
    assert breaking_changes(old, old) == []
