"""Fill msgstr entries of a .po file from a JSON mapping {msgid: msgstr or [singular, plural]}.

Used when adding translations in bulk: `python tools/fill_po.py APP/locale/.../django.po map.json`.
Entries already translated are left alone unless --force is given.
"""

import json
import sys

import polib


def main(po_path: str, mapping_path: str, force: bool = False) -> int:
    po = polib.pofile(po_path)
    with open(mapping_path, encoding="utf-8") as fh:
        mapping = json.load(fh)
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        done = entry.msgstr or (entry.msgstr_plural and all(entry.msgstr_plural.values()))
        if done and not force and "fuzzy" not in entry.flags:
            continue
        value = mapping.get(entry.msgid)
        if value is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: value if isinstance(value, str) else value[0]}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save(po_path)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], force="--force" in sys.argv))
