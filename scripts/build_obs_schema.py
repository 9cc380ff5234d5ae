"""Write ``docs/schemas/neo.obs.v1.schema.json`` from the one declaration of the message.

Run from the project root::

    .venv/bin/python scripts/build_obs_schema.py

The JSON Schema is generated from :class:`core.contract.obs.Observation` (msgspec's
``json.schema``), so the published contract cannot drift from what the daemon reads; a unit test
regenerates it and compares. Two changes from the struct's own schema: added optional fields are
allowed (a reader accepts a newer producer's fields, dropping and counting them), and
``time_jd_utc``, which the reader derives, is left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "schemas" / "neo.obs.v1.schema.json"


def obs_schema() -> dict[str, Any]:
    """The neo.obs.v1 JSON Schema (draft 2020-12) of the JSON forms of a message."""
    import msgspec

    from core.contract.obs import MAX_OBS_PER_MESSAGE, Observation

    (one,), components = msgspec.json.schema_components(
        [Observation], ref_template="#/$defs/{name}"
    )
    observation = components["Observation"]
    observation["properties"].pop("time_jd_utc", None)
    observation.pop("additionalProperties", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "neo.obs.v1.schema.json",
        "title": "neo.obs.v1: the astrometry of one object (one observation or a tracklet)",
        "description": (
            'One JSON object with ADES field names, or {"observations": [...]} (a tracklet of '
            f"1 to {MAX_OBS_PER_MESSAGE} observations of one object). A message may also be one "
            "raw MPC 80-column line or two-line record as text (not JSON; see docs/schema.md). "
            "The object's id (the Kafka key) is permID, else provID, else trkSub. Generated from "
            "core.contract.obs.Observation by scripts/build_obs_schema.py."
        ),
        "oneOf": [
            one,
            {
                "type": "object",
                "required": ["observations"],
                "properties": {
                    "observations": {
                        "type": "array",
                        "items": one,
                        "minItems": 1,
                        "maxItems": MAX_OBS_PER_MESSAGE,
                    }
                },
            },
        ],
        "$defs": components,
    }


def main() -> None:
    OUT.write_text(json.dumps(obs_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
