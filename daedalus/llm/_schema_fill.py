"""A value that validates against a JSON schema, written from the prompt's material.

Handles what pydantic emits for node schemas: ``type`` (one or a list), ``properties``,
``required``, ``additionalProperties``, ``enum``, ``const``, ``anyOf``/``oneOf``/``allOf``,
``$ref`` into ``$defs``/``definitions``, ``items``/``prefixItems``, ``minItems``/``maxItems``,
``uniqueItems``, numeric bounds (inclusive and exclusive) with ``multipleOf``, string lengths,
simple ``pattern``s, the date/time ``format``s and ``default``. Every decision draws from a
``Dice`` child named by the value's path, so sibling fields never shift each other's choices.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from daedalus.errors import ModelRequestError
from daedalus.llm._compose import Writer
from daedalus.llm._dice import Dice
from daedalus.llm._fields import (
    FieldHint,
    Role,
    is_reference_list,
    role_of,
    string_for_format,
)
from daedalus.llm._numbers import integer_for, number_for
from daedalus.llm._pattern import PatternError, string_for_pattern

__all__ = ["fill_schema"]

_DEEP = 6
_MAX_DEPTH = 24
_DEFAULT_MAX_ITEMS = 3
_UNIQUE_TRIES = 12


def fill_schema(schema: Mapping[str, Any], writer: Writer, dice: Dice) -> Any:
    """A JSON value valid under ``schema``. Raises ModelRequestError for a schema no value can
    satisfy (``false``, empty enum, min above max) or a feature it cannot honour."""
    return _Filler(schema, writer).value(schema, FieldHint("", ""), dice, 0)


class _Filler:
    def __init__(self, root: Mapping[str, Any], writer: Writer) -> None:
        self.root = root
        self.writer = writer
        self.siblings: list[set[str]] = []  # ids already used by the object being filled

    def resolve(self, schema: Any) -> Any:
        """The schema with ``$ref`` followed and ``allOf`` merged."""
        for _ in range(_MAX_DEPTH):
            if not isinstance(schema, Mapping) or "$ref" not in schema:
                break
            target = self._pointer(str(schema["$ref"]))
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        if isinstance(schema, Mapping) and "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, self.resolve(part))
            return self.resolve(merged)
        return schema

    def _pointer(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#"):
            raise ModelRequestError(f"only local $ref is supported, got {ref!r}")
        node: Any = self.root
        for part in ref.lstrip("#/").split("/") if ref not in ("#", "#/") else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise ModelRequestError(f"$ref {ref!r} points at nothing in the schema")
            node = node[part]
        if not isinstance(node, Mapping):
            raise ModelRequestError(f"$ref {ref!r} does not point at a schema object")
        return node

    def value(self, raw: Any, hint: FieldHint, dice: Dice, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ModelRequestError("schema nests deeper than 24 levels (a recursive $ref?)")
        schema = self.resolve(raw)
        if schema is True or schema == {} or schema is None:
            return self.string({}, hint, dice)
        if schema is False:
            raise ModelRequestError(f"schema for {hint.name or 'the answer'!r} admits no value")
        hint = hint.described(schema.get("description"), schema.get("title"))
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.enum(list(schema["enum"]), dice)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branch = self.branch(schema, key, dice, depth)
                return self.value(branch, hint, dice.child(key), depth + 1)
        kind = self.kind(schema, dice)
        if kind == "object":
            return self.object(schema, dice, depth)
        if kind == "array":
            return self.array(schema, hint, dice, depth)
        if kind == "integer":
            return integer_for(schema, dice)
        if kind == "number":
            return number_for(schema, dice)
        if kind == "boolean":
            return dice.chance(0.5)
        if kind == "null":
            return None
        return self.string(schema, hint, dice)

    def kind(self, schema: Mapping[str, Any], dice: Dice) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            choices = [t for t in declared if t != "null"] or declared
            return str(choices[dice.below(len(choices))])
        if isinstance(declared, str):
            return declared
        if "properties" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        if any(key in schema for key in ("minimum", "maximum", "multipleOf")):
            return "number"
        return "string"

    def branch(self, schema: Mapping[str, Any], key: str, dice: Dice, depth: int) -> Any:
        """A non-null branch when there is one (null only deep inside recursive schemas);
        sibling keywords such as ``default`` stay with the chosen branch."""
        branches = list(schema[key])
        if not branches:
            raise ModelRequestError(f"{key} with no branches admits no value")
        siblings = {k: v for k, v in schema.items() if k not in (key, "default")}
        resolved = [self.resolve(b) for b in branches]
        concrete = [i for i, b in enumerate(resolved) if not _is_null(b)]
        nulls = [i for i in range(len(branches)) if i not in concrete]
        if nulls and (not concrete or depth > _DEEP):
            return {**siblings, **resolved[nulls[0]]}
        picked = concrete[dice.child("branch").below(len(concrete))]
        return {**siblings, **resolved[picked]} if siblings else resolved[picked]

    def enum(self, values: list[Any], dice: Dice) -> Any:
        """A value weighted by how often the prompt mentions it, so choices follow the
        scenario yet still vary with the seed."""
        if not values:
            raise ModelRequestError("an empty enum admits no value")
        material = self.writer.material
        weights = [
            1.0 + min(material.mentions(str(v)), 4) + 2.0 * material.relevance(str(v))
            for v in values
        ]
        return values[dice.child("enum").weighted(weights)]

    def object(self, schema: Mapping[str, Any], dice: Dice, depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        result: dict[str, Any] = {}
        self.siblings.append(set())
        try:
            self.properties(properties, required, result, dice, depth)
        finally:
            self.siblings.pop()
        extra = schema.get("additionalProperties", True)
        for name in sorted(required - set(properties)):
            result[name] = self.value(
                extra if extra is not False else {},
                FieldHint(name, ""),
                dice.child(f"p:{name}"),
                depth + 1,
            )
        if not properties and isinstance(extra, Mapping | bool) and extra is not False:
            low = int(schema.get("minProperties", 1 if depth <= _DEEP else 0))
            high = int(schema.get("maxProperties", max(low, _DEFAULT_MAX_ITEMS)))
            wanted = dice.child("count").between(low, max(low, high)) - len(result)
            sub = extra if isinstance(extra, Mapping) else {}
            for key in self.writer.keys(dice.child("keys"), max(wanted, 0) + len(result)):
                if wanted <= 0:
                    break
                if key not in result:
                    hint = FieldHint(key, "")
                    result[key] = self.value(sub, hint, dice.child(f"k:{key}"), depth + 1)
                    wanted -= 1
        return result

    def properties(
        self,
        properties: Mapping[str, Any],
        required: set[str],
        result: dict[str, Any],
        dice: Dice,
        depth: int,
    ) -> None:
        for name, sub in properties.items():
            field_dice = dice.child(f"p:{name}")
            if name not in required:
                if depth > _DEEP:
                    continue
                resolved = self.resolve(sub)
                if (
                    isinstance(resolved, Mapping)
                    and "default" in resolved
                    and field_dice.chance(1 / 3)
                ):
                    result[name] = resolved["default"]
                    continue
            result[name] = self.value(sub, FieldHint(name, ""), field_dice, depth + 1)
            if isinstance(result.get(name), str):
                self.siblings[-1].add(result[name])

    def array(self, schema: Mapping[str, Any], hint: FieldHint, dice: Dice, depth: int) -> Any:
        prefix = list(schema.get("prefixItems") or ())
        items = schema.get("items", {} if not prefix else False)
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        default_high = max(low, len(prefix), _DEFAULT_MAX_ITEMS if depth <= _DEEP else 0)
        top = int(high) if high is not None else default_high
        if items is False:
            top = min(top, len(prefix))
        if top < low:
            raise ModelRequestError(f"array {hint.name!r}: maxItems {top} is below minItems {low}")
        wanted = low if depth > _DEEP else dice.child("count").between(max(low, min(1, top)), top)
        wanted = max(wanted, min(len(prefix), top))
        result = [
            self.value(prefix[i], hint, dice.child(f"i{i}"), depth + 1)
            for i in range(min(len(prefix), wanted))
        ]
        resolved_items = self.resolve(items) if items is not False else False
        enum = resolved_items.get("enum") if isinstance(resolved_items, Mapping) else None
        must_differ = bool(schema.get("uniqueItems"))
        unique = must_differ or is_reference_list(hint)
        if enum is not None and not prefix:
            return self.enum_subset(list(enum), wanted, low, must_differ, unique, dice)
        if is_reference_list(hint) and not prefix and _is_free_string(resolved_items):
            # references point at ids the prompt holds; with none, invent only what is required
            known = self.known_ids(resolved_items, dice.child("known"))
            result = known[: min(wanted, len(known))]
            wanted = max(low, len(result))
        seen = {_canonical(v) for v in result}
        index = len(result)
        tries = 0
        while len(result) < wanted:
            item = self.value(items, hint, dice.child(f"i{index}"), depth + 1)
            index += 1
            if unique and _canonical(item) in seen and tries < _UNIQUE_TRIES:
                tries += 1
                continue
            if must_differ and _canonical(item) in seen:
                if len(result) >= low:
                    break
                raise ModelRequestError(f"cannot find {low} distinct items for {hint.name!r}")
            seen.add(_canonical(item))
            result.append(item)
        return result

    def known_ids(self, schema: Mapping[str, Any], dice: Dice) -> list[str]:
        """The prompt's ids that fit the string ``schema``, relevant ones first."""
        material = self.writer.material
        fitting = [i for i in material.ids if _string_fits(schema, i)]
        weights = [1.0 + 2.0 * material.relevance(i.replace("_", " ")) for i in fitting]
        return [fitting[i] for i in dice.sample(weights, len(fitting))]

    def enum_subset(
        self,
        values: list[Any],
        wanted: int,
        low: int,
        must_differ: bool,
        prefer_distinct: bool,
        dice: Dice,
    ) -> list[Any]:
        """Items from an enum, weighted by prompt mentions; distinct when the array is
        ``uniqueItems`` and, as far as the enum allows, when it lists references."""
        if must_differ and len(values) < low:
            raise ModelRequestError(f"{low} unique items wanted from an enum of {len(values)}")
        material = self.writer.material
        weights = [1.0 + min(material.mentions(str(v)), 4) for v in values]
        if must_differ or prefer_distinct:
            picked = [values[i] for i in dice.sample(weights, min(wanted, len(values)))]
            if must_differ or len(picked) >= low:
                return picked
            return picked + [picked[i % len(picked)] for i in range(low - len(picked))]
        return [values[dice.child(i).weighted(weights)] for i in range(wanted)]

    def string(self, schema: Mapping[str, Any], hint: FieldHint, dice: Dice) -> str:
        shortest = int(schema.get("minLength", 0))
        longest = schema.get("maxLength")
        longest = int(longest) if longest is not None else None
        if longest is not None and longest < shortest:
            raise ModelRequestError(
                f"string {hint.name!r}: maxLength {longest} is below minLength {shortest}"
            )
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            return self.patterned(pattern, hint, dice, shortest, longest)
        formatted = string_for_format(schema.get("format"), self.writer, dice)
        if formatted is not None:
            return formatted
        role = role_of(hint)
        if role is Role.ID:
            slugs = self.unused(self.writer.slugs(dice, hint.name, fresh=hint.slug == "id"))
            return self.writer.fit(slugs[0] if slugs else hint.slug, dice, shortest, longest)
        text = _write(role, self.writer, dice, longest) or hint.spoken
        return self.writer.fit(text, dice.child("fit"), shortest, longest)

    def unused(self, slugs: list[str]) -> list[str]:
        """``slugs`` with those a sibling field already holds moved last: two id fields of
        one object (the two sides of a relationship) name different things when they can."""
        taken = self.siblings[-1] if self.siblings else set()
        return [s for s in slugs if s not in taken] + [s for s in slugs if s in taken]

    def patterned(
        self, pattern: str, hint: FieldHint, dice: Dice, shortest: int, longest: int | None
    ) -> str:
        slugs = self.writer.slugs(dice.child("slug"), hint.name, fresh=hint.slug == "id")
        candidates = [*self.unused(slugs), hint.slug, ""]
        for preferred in candidates:
            if longest is not None:
                preferred = preferred[:longest]
            try:
                text = string_for_pattern(pattern, preferred, dice.child(preferred))
            except PatternError as error:
                raise ModelRequestError(f"string {hint.name!r}: {error}") from None
            length_ok = len(text) >= shortest and (longest is None or len(text) <= longest)
            if length_ok and re.search(pattern, text):
                return text
        raise ModelRequestError(
            f"string {hint.name!r}: cannot write a value for pattern {pattern!r} within "
            f"lengths [{shortest}, {longest}]"
        )


def _write(role: Role, writer: Writer, dice: Dice, longest: int | None) -> str:
    if role is Role.TEXT:
        sentences = 1 if longest is not None and longest < 160 else dice.between(1, 2)
        return writer.passage(dice, sentences)
    if role is Role.REASON:
        return writer.reason(dice)
    if role is Role.NAME:
        return writer.name(dice)
    if role is Role.TONE:
        return writer.tone(dice)
    return writer.phrase(dice)


def _merge(base: dict[str, Any], extra: Any) -> dict[str, Any]:
    """``allOf`` merge: properties united, required united, bounds tightened."""
    if not isinstance(extra, Mapping):
        return base
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties":
            merged[key] = {**merged.get(key, {}), **value}
        elif key == "required":
            merged[key] = sorted({*merged.get(key, ()), *value})
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems") and key in merged:
            merged[key] = max(merged[key], value)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems") and key in merged:
            merged[key] = min(merged[key], value)
        else:
            merged[key] = value
    return merged


def _is_free_string(schema: Any) -> TypeGuard[Mapping[str, Any]]:
    return (
        isinstance(schema, Mapping)
        and schema.get("type") == "string"
        and not {"enum", "const", "format"} & set(schema)
    )


def _string_fits(schema: Mapping[str, Any], value: str) -> bool:
    pattern = schema.get("pattern")
    return (
        len(value) >= int(schema.get("minLength", 0))
        and len(value) <= int(schema.get("maxLength", len(value)))
        and (not isinstance(pattern, str) or re.search(pattern, value) is not None)
    )


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "null"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
