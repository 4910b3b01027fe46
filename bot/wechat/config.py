"""The WeChat menu and template messages, read from YAML: menu.yml beside this module, and
templates.yml (or the file in WECHAT_TEMPLATES_FILE, a deployment's own template ids)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping

import yaml

HERE = Path(__file__).resolve().parent
MENU_FILE = HERE / "menu.yml"
TEMPLATES_FILE = HERE / "templates.yml"


@lru_cache(maxsize=4)
def _read(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def menu() -> Dict[str, Any]:
    """WeChat's menu JSON (menu/create): {"button": [...]}."""
    return {"button": list(_read(str(MENU_FILE)).get("button") or [])}


def click_payload(key: str | None) -> str | None:
    """What a CLICK on the menu item `key` says (a Rasa intent payload), or None."""
    clicks = _read(str(MENU_FILE)).get("clicks") or {}
    payload = clicks.get(key or "")
    return str(payload) if payload else None


@dataclass(frozen=True)
class Template:
    kind: str
    template_id: str
    data: Mapping[str, Any]

    def fields(self, *, claim_number: str | None, body: str, lang: str) -> Dict[str, Any]:
        """The template message's `data`: {"first": {"value": "…"}, …}."""
        filled: Dict[str, Any] = {}
        for name, value in self.data.items():
            if isinstance(value, Mapping):
                value = value.get(lang) or value.get("zh") or ""
            text = str(value).replace("{claim_number}", claim_number or "-").replace(
                "{body}", body)
            filled[name] = {"value": text}
        return filled


def templates_file() -> Path:
    return Path(os.environ.get("WECHAT_TEMPLATES_FILE", "").strip() or TEMPLATES_FILE)


def template_for(kind: str) -> Template | None:
    """The template for notices of `kind`, or None when none is configured."""
    data = _read(str(templates_file()))
    entry = (data.get("templates") or {}).get(kind) or {}
    template_id = str(entry.get("template_id") or "").strip()
    if not template_id:
        return None
    # The deployment's defaults, else the packaged ones (first / keyword1 / remark).
    defaults = data.get("defaults") or _read(str(TEMPLATES_FILE)).get("defaults") or {}
    fields = dict(defaults.get("data") or {})
    fields.update(entry.get("data") or {})
    return Template(kind, template_id, fields)
