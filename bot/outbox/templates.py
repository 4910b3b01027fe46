"""WhatsApp approved message templates per notice kind and language (whatsapp_templates.yml, or
the file CLAIMS_WHATSAPP_TEMPLATES names): the Twilio Content SID and what fills its variables.
Outside WhatsApp's 24-hour window a notice goes as its kind's template; with none, by SMS."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Tuple

import yaml

from bot.outbox.senders import Notice

DEFAULT_FILE = Path(__file__).with_name("whatsapp_templates.yml")
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
# Twilio's limits on ContentVariables: keys of at most 16 characters, values of at most 255;
# WhatsApp refuses a variable with a line break or a tab.
MAX_KEY, MAX_VALUE = 16, 255
FIELDS = ("claim_number", "summary")


@dataclass(frozen=True)
class Template:
    kind: str
    language: str
    content_sid: str
    variables: Tuple[Tuple[str, str], ...]  # (placeholder, field)

    def content_variables(self, notice: Notice) -> str:
        """The ContentVariables JSON for `notice`."""
        values = {"claim_number": notice.claim_number or "-", "summary": summary(notice.body)}
        return json.dumps({key: values[field] for key, field in self.variables},
                          ensure_ascii=False)


def summary(body: str) -> str:
    """The notice's first non-empty line, on one line, within Twilio's variable length."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    one_line = re.sub(r"\s+", " ", first).strip()
    return one_line if len(one_line) <= MAX_VALUE else one_line[:MAX_VALUE - 1] + "…"


def _parse(data: Mapping, source: str) -> Dict[Tuple[str, str], Template]:
    templates: Dict[Tuple[str, str], Template] = {}
    for kind, languages in ((data or {}).get("templates") or {}).items():
        for language, entry in (languages or {}).items():
            sid = str((entry or {}).get("content_sid") or "")
            if not CONTENT_SID.fullmatch(sid):
                raise ValueError(f"{source}: {kind}.{language}: content_sid must be HX and 32 "
                                 f"hex digits, not {sid!r}")
            variables = tuple((str(key), str(field)) for key, field in
                              ((entry or {}).get("variables") or {}).items())
            for key, field in variables:
                if len(key) > MAX_KEY or field not in FIELDS:
                    raise ValueError(f"{source}: {kind}.{language}: variable {key!r} -> "
                                     f"{field!r} (fields: {', '.join(FIELDS)})")
            templates[(str(kind), str(language))] = Template(str(kind), str(language), sid,
                                                             variables)
    return templates


_cache: Dict[str, Tuple[float, Dict[Tuple[str, str], Template]]] = {}


def load_templates(path: str | Path | None = None) -> Dict[Tuple[str, str], Template]:
    """The templates of `path` (default: the setting, else the packaged file), by (kind,
    language); read again when the file changes. Raises ValueError for a malformed entry."""
    if path is None:
        from bot.settings import get_settings

        path = get_settings().whatsapp_templates_file or DEFAULT_FILE
    file = Path(path)
    stamp = file.stat().st_mtime
    cached = _cache.get(str(file))
    if cached is None or cached[0] != stamp:
        cached = (stamp, _parse(yaml.safe_load(file.read_text(encoding="utf-8")), str(file)))
        _cache[str(file)] = cached
    return cached[1]


def template_for(kind: str, language: str | None, *,
                 path: str | Path | None = None) -> Template | None:
    """The approved template for a notice of `kind` in `language` (zh by default); None: none."""
    return load_templates(path).get((kind, language or "zh"))
