"""The smallest request an OpenAPI schema accepts (for requests made from the schema)."""

from __future__ import annotations

from typing import Any


def minimal(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """The smallest value an OpenAPI (JSON) schema accepts: required fields only, the
    first choice of a union or enum, the lower bound of a number, short strings."""
    schema = resolved(schema, spec)
    if "const" in schema or "enum" in schema:
        return schema.get("const", (schema.get("enum") or [None])[0])
    if "discriminator" in schema:  # the first kind, saying which it is
        tag, ref = next(iter(schema["discriminator"]["mapping"].items()))
        return {**minimal({"$ref": ref}, spec), schema["discriminator"]["propertyName"]: tag}
    for union in ("oneOf", "anyOf", "allOf"):
        choices = [resolved(c, spec) for c in schema.get(union, [])]
        choices = [c for c in choices if c.get("type") != "null"]
        if choices:
            return minimal(choices[0], spec)
    return _minimal_of_type(schema, spec)


def _minimal_of_type(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal(props.get(name, {}), spec) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal(schema.get("items", {}), spec)] * schema.get("minItems", 0)
    if kind in ("integer", "number"):  # FastAPI writes integer bounds as 1.0
        return int(max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1))
    if kind == "boolean":
        return False
    formats = {"date": "2026-11-26", "date-time": "2026-11-26T10:00:00+09:00"}
    return formats.get(schema.get("format", ""), "1" * max(1, schema.get("minLength", 1)))


def resolved(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = spec["components"]["schemas"][name]
    return schema
