"""Masking and hashing of personal identifiers (PIPL: keep no clear ID numbers, mask in output)."""
from __future__ import annotations

import hashlib


def normalise_id_number(id_number: str) -> str:
    """Uppercase, no spaces: the form that is hashed (the check digit may be 'x' or 'X')."""
    return "".join(id_number.split()).upper()


def hash_id_number(id_number: str) -> str:
    """sha256 hex of the normalised ID number; lets us match an ID without storing it."""
    return hashlib.sha256(normalise_id_number(id_number).encode("utf-8")).hexdigest()


def mask_id_number(id_number: str) -> str:
    """'110105198504121234' -> '1101**********1234'; short IDs (passports) keep less."""
    clear = normalise_id_number(id_number)
    if len(clear) >= 15:
        return clear[:4] + "*" * (len(clear) - 8) + clear[-4:]
    if len(clear) >= 5:
        return clear[:1] + "*" * (len(clear) - 3) + clear[-2:]
    return "*" * len(clear)


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def phone_last4(phone: str) -> str:
    return phone_digits(phone)[-4:]


def mask_phone(phone: str | None) -> str:
    """'13800000001' -> '138****0001', '+8613800000003' -> '+86138****0003'."""
    if not phone:
        return ""
    digits = phone_digits(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    prefix = "+" if phone.strip().startswith("+") else ""
    return prefix + digits[:-8] + "****" + digits[-4:]
