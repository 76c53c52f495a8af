"""Build ``src/intacct_sdk/_schemas.json`` from Intacct ``lookup`` responses.

Usage::

    python tools/build_schema_table.py DIR_WITH_LOOKUP_XML [...more dirs]

Each input file is the ``<data listtype="All">`` payload of a ``lookup`` function
for one object. The output is a compact JSON table that the SDK (value typing),
the emulator (``lookup``/``inspect`` answers, field checks) and timesync (mapping
spec validation) read at run time, so pip users need no external files.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "intacct_sdk" / "_schemas.json"


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() == "true"


def convert(path: Path) -> tuple[str, dict[str, object]]:
    root = ET.parse(path).getroot()
    typ = root.find("Type")
    if typ is None:
        raise SystemExit(f"{path.name}: no <Type> element")
    name = typ.attrib["Name"]
    fields = []
    for f in typ.find("Fields") or []:
        desc = f.findtext("DESCRIPTION") or ""
        fields.append(
            [
                f.findtext("ID"),
                f.findtext("LABEL") or "",
                "" if desc == "No description specified" else desc,
                f.findtext("DATATYPE") or "TEXT",
                _flag(f.findtext("REQUIRED")),
                _flag(f.findtext("READONLY")),
                _flag(f.findtext("ISCUSTOM")),
                [v.text or "" for v in f.iterfind("VALIDVALUES/VALIDVALUE")],
            ]
        )
    rels = [
        [
            r.findtext("OBJECTPATH") or "",
            r.findtext("OBJECTNAME") or "",
            r.findtext("LABEL") or "",
            r.findtext("RELATIONSHIPTYPE") or "",
            r.findtext("RELATEDBY") or "",
        ]
        for r in typ.iterfind("Relationships/Relationship")
    ]
    return name, {"fields": fields, "relationships": rels}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    table: dict[str, object] = {}
    for d in argv:
        for path in sorted(Path(d).glob("*.xml")):
            name, body = convert(path)
            table[name] = body
    OUT.write_text(json.dumps(table, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {len(table)} objects to {OUT.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
