"""Write the JSON Schemas of the contracts declared as msgspec structs into ``docs/schemas/``.

Run from the project root::

    .venv/bin/python scripts/build_schemas.py

``neo.v1.schema.json`` is generated from :class:`core.contract.neo_v1.Record`,
``neo.deadletter.v1.schema.json`` from :class:`core.contract.deadletter.DeadLetter` and
``neo.obs.v1.schema.json`` from :class:`core.contract.obs.Observation`
(:func:`scripts.build_obs_schema.obs_schema`), with msgspec's ``json.schema``, so the published
contracts cannot drift from what the daemon reads; a unit test regenerates them and compares.
Changes from the structs' own schemas: added fields are allowed (a reader accepts a newer
producer's fields, dropping and counting them; an ADES row's other fields are scalars), a
designation must hold a non-blank character, ``meta`` is an object, and defaults are left out.
Cross-field rules (a_au and q_au agreeing, q_au required when e >= 1, the mean-anomaly range of
an ellipse, exactly one observation block) are the daemon's, stated in the descriptions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCHEMAS = ROOT / "docs" / "schemas"


def _open(node: Any) -> None:
    # added fields allowed and defaults left out, everywhere
    if isinstance(node, dict):
        node.pop("default", None)
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]
        for value in node.values():
            _open(value)
    elif isinstance(node, list):
        for value in node:
            _open(value)


def neo_schema() -> dict[str, Any]:
    """The neo.v1 JSON Schema (draft 2020-12) of one record."""
    import msgspec

    from core.contract.neo_v1 import Record

    _, components = msgspec.json.schema_components([Record], ref_template="#/$defs/{name}")
    _open(components)
    top = components.pop("Record")
    top.pop("title", None)
    top.pop("description", None)
    top["properties"]["designation"]["pattern"] = r"\S"
    top["properties"]["meta"] = {"type": ["object", "null"]}
    components["AdesRow"]["additionalProperties"] = {
        "type": ["string", "number", "boolean", "null"]
    }
    # the blocks as docs/schema.md names them (Orbit, not the struct's TypedOrbit)
    text = json.dumps(components).replace('"#/$defs/Typed', '"#/$defs/')
    components = {k.removeprefix("Typed"): v for k, v in json.loads(text).items()}
    top = json.loads(json.dumps(top).replace('"#/$defs/Typed', '"#/$defs/'))
    components["Observations"].update(minProperties=1, maxProperties=1)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "neo.v1.schema.json",
        "title": "neo.v1: one Near-Earth Object record (an input message)",
        "description": (
            "The contract of docs/schema.md, generated from core.contract.neo_v1.Record by "
            "scripts/build_schemas.py. Cross-field rules (a_au and q_au agreeing, q_au required "
            "when e >= 1, the mean-anomaly range for ellipses, exactly one of obs80 or ades) are "
            "checked by the daemon, not here. A reader accepts added optional fields (a newer "
            "producer's); this schema therefore allows them."
        ),
        **top,
        "$defs": components,
    }


def deadletter_schema() -> dict[str, Any]:
    """The neo.deadletter.v1 JSON Schema (draft 2020-12) of one dead letter."""
    import msgspec

    from core.contract.deadletter import DeadLetter

    _, components = msgspec.json.schema_components([DeadLetter], ref_template="#/$defs/{name}")
    _open(components)
    top = components.pop("DeadLetter")
    top["required"] = list(top["properties"])  # the schema's name too: every letter has it
    top.pop("title", None)
    top.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "neo.deadletter.v1.schema.json",
        "title": (
            "neo.deadletter.v1: an input the daemon could not score, with the reason "
            "(dead-letter topic)"
        ),
        "description": (
            "Why (field, reason, error_type: the exception's class), the message itself (base64, "
            "its first 600,000 bytes), its key and the input it answers. Generated from "
            "core.contract.deadletter.DeadLetter by scripts/build_schemas.py."
        ),
        **top,
        "$defs": components,
    }


def schemas() -> dict[str, dict[str, Any]]:
    """Each generated schema by file name."""
    from scripts.build_obs_schema import obs_schema

    return {
        "neo.v1.schema.json": neo_schema(),
        "neo.obs.v1.schema.json": obs_schema(),
        "neo.deadletter.v1.schema.json": deadletter_schema(),
    }


def main() -> None:
    for name, schema in schemas().items():
        out = SCHEMAS / name
        out.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
