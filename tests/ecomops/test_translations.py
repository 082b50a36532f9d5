"""Every string has its Simplified Chinese translation, and the committed compiled
catalogs (.mo, so running the app needs no gettext tools) match their sources (.po)."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

CATALOGS = [Path(p) / "zh_Hans" / "LC_MESSAGES" for p in settings.LOCALE_PATHS]
ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$')


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr / msgstr[0] and
    the flags line; the header (empty msgid) left out."""
    entries, current, key = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match and match.group(1) in ("msgctxt", "msgid") and "msgid" in current:
            entries.append(current)  # an entry begins without a blank line before it
            current = {}
        if match:
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif line.startswith("#"):
            if "msgid" in current:
                entries.append(current)
                current = {}
            if line.startswith("#,"):
                current["flags"] = line
            key = None
        elif not line.strip():
            if "msgid" in current:
                entries.append(current)
            current, key = {}, None
    if "msgid" in current:
        entries.append(current)
    return [e for e in entries if e["msgid"]]


@pytest.mark.parametrize("folder", CATALOGS, ids=lambda p: p.parts[-4])
def test_every_string_is_translated(folder):
    entries = po_entries(folder / "django.po")
    assert entries
    untranslated = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("folder", CATALOGS, ids=lambda p: p.parts[-4])
def test_the_compiled_catalog_matches_its_source(folder):
    with open(folder / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    for entry in po_entries(folder / "django.po"):
        if "fuzzy" in entry.get("flags", ""):
            continue  # msgfmt leaves fuzzy entries out (the test above refuses them)
        key = entry["msgid"]
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            assert compiled[(key, 0)] == entry["msgstr[0]"], entry["msgid"]
        else:
            assert compiled[key] == entry["msgstr"], entry["msgid"]
