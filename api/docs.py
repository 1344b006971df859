"""The API's reference for people: the OpenAPI schema from drf-spectacular's generator,
turned into plain rows the docs page prints (no script), and the schema file itself.

The schema file is generated in Chinese (SCHEMA_LANGUAGE), as `make api-schema` writes
docs/api/openapi.yaml; the page follows the reader's language.
"""

from dataclasses import dataclass, field
from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

SCHEMA_LANGUAGE = "zh-hans"
METHODS = ("get", "post", "put", "patch", "delete")
MAX_DEPTH = 4


@cache
def _schema(language: str) -> dict:
    with translation.override(language):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        # Lazy strings become text in this language (the renderer would use the active one).
        return _resolve_lazy(schema)


def _resolve_lazy(value):
    if isinstance(value, dict):
        return {key: _resolve_lazy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_lazy(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def schema(language: str = SCHEMA_LANGUAGE) -> dict:
    return _schema(language)


def schema_yaml() -> bytes:
    """The schema file, as `manage.py spectacular --lang zh-hans` writes it."""
    return OpenApiYamlRenderer().render(schema(SCHEMA_LANGUAGE), renderer_context={})


@dataclass
class FieldRow:
    name: str
    type: str
    required: bool = False
    nullable: bool = False
    read_only: bool = False
    description: str = ""
    choices: list = field(default_factory=list)


@dataclass
class Parameter:
    name: str
    where: str
    type: str
    required: bool
    description: str
    choices: list


@dataclass
class Response:
    status: str
    description: str
    fields: list
    paginated: bool = False


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list
    body: list
    responses: list


def _ref(spec: dict, node: dict) -> dict:
    seen = 0
    while "$ref" in node and seen < 10:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = spec["components"]["schemas"].get(name, {})
        seen += 1
    if "allOf" in node and len(node["allOf"]) == 1:
        merged = {**_ref(spec, node["allOf"][0]), **{k: v for k, v in node.items() if k != "allOf"}}
        return merged
    return node


def _type(spec: dict, node: dict) -> str:
    node = _ref(spec, node)
    kind = node.get("type", "")
    if "enum" in node and not kind:
        kind = "string"
    if kind == "array":
        return _("list of %(type)s") % {"type": _type(spec, node.get("items", {}))}
    labels = {
        "string": _("text value"),
        "integer": _("whole number"),
        "number": _("number"),
        "boolean": _("yes or no"),
        "object": _("object"),
    }
    formats = {
        "date": _("date, e.g. 2026-12-06"),
        "date-time": _("date and time, e.g. 2026-12-06T09:30:00+08:00"),
        "uri": _("web address"),
        "email": _("e-mail address"),
        "decimal": _("decimal number"),
        "uuid": _("unique code"),
    }
    return str(formats.get(node.get("format"), labels.get(kind, _("any value"))))


def _fields(spec: dict, node: dict, prefix: str = "", depth: int = 0) -> list[FieldRow]:
    node = _ref(spec, node)
    if node.get("type") == "array":
        return _fields(spec, node.get("items", {}), prefix + "[]", depth)
    rows = []
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        resolved = _ref(spec, prop)
        full = f"{prefix}.{name}" if prefix else name
        rows.append(
            FieldRow(
                name=full,
                type=_type(spec, prop),
                required=name in required,
                nullable=bool(resolved.get("nullable")),
                read_only=bool(resolved.get("readOnly") or prop.get("readOnly")),
                description=resolved.get("description", "") or prop.get("description", ""),
                choices=[c for c in resolved.get("enum", []) if c not in ("", None)],
            )
        )
        target = resolved.get("items", {}) if resolved.get("type") == "array" else resolved
        target = _ref(spec, target)
        if depth < MAX_DEPTH and target.get("properties"):
            inner = f"{full}[]" if resolved.get("type") == "array" else full
            rows += _fields(spec, target, inner, depth + 1)
    return rows


def _content_schema(spec: dict, body: dict) -> dict | None:
    content = body.get("content", {})
    media = content.get("application/json") or next(iter(content.values()), None)
    return media.get("schema") if media else None


def _operation(spec: dict, path: str, method: str, op: dict) -> Operation:
    parameters = []
    where = {"query": _("query"), "path": _("path"), "header": _("header")}
    for param in op.get("parameters", []):
        schema_node = _ref(spec, param.get("schema", {}))
        parameters.append(
            Parameter(
                name=param["name"],
                where=str(where.get(param.get("in"), param.get("in", ""))),
                type=_type(spec, param.get("schema", {})),
                required=bool(param.get("required")),
                description=param.get("description", ""),
                choices=[c for c in schema_node.get("enum", []) if c not in ("", None)],
            )
        )
    body = []
    if "requestBody" in op and (node := _content_schema(spec, op["requestBody"])):
        body = _fields(spec, node)
    responses = []
    for status, response in op.get("responses", {}).items():
        node = _content_schema(spec, response)
        rows = _fields(spec, node) if node else []
        resolved = _ref(spec, node) if node else {}
        paginated = {"count", "results"} <= set(resolved.get("properties", {}))
        responses.append(
            Response(
                status=status,
                description=response.get("description", ""),
                fields=rows,
                paginated=paginated,
            )
        )
    anchor = op.get("operationId") or f"{method}-{path}"
    return Operation(
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        anchor=anchor,
        parameters=parameters,
        body=body,
        responses=responses,
    )


def reference(language: str | None = None) -> dict:
    """Everything the docs page prints, in `language` (the active one by default)."""
    language = language or translation.get_language() or SCHEMA_LANGUAGE
    spec = schema(language)
    operations = [
        _operation(spec, path, method, item[method])
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        if method in item
    ]
    return {
        "title": spec.get("info", {}).get("title", ""),
        "version": spec.get("info", {}).get("version", ""),
        "description": spec.get("info", {}).get("description", ""),
        "operations": operations,
    }
