"""One WeChat callback opened: the signature over (token, timestamp, nonce) checked in constant
time, a stale timestamp or a nonce seen before refused, safe mode's AES envelope (its own
msg_signature) opened, and the XML read by a hardened parser (defusedxml: no DTD, no entities,
no external references) before wechatpy makes a message of it."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# A real callback is well under 2 KB; this is far above that and far below harm.
MAX_BODY_BYTES = 64 * 1024
# WeChat's servers keep good time; a callback signed longer ago than this is a replay.
MAX_CLOCK_SKEW_S = 300

# Why a callback was refused (logged, and the HTTP status WeChat gets).
UNSIGNED, FORGED, STALE, REPLAYED, MALFORMED, TOO_LARGE, NO_KEY = (
    "unsigned", "forged", "stale", "replayed", "malformed_xml", "too_large", "no_aes_key")


class Rejected(Exception):
    """The callback is not used: `reason` (above) and the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


class Replayed(Rejected):
    """A signed, fresh callback whose (timestamp, nonce) was seen before. WeChat's own retries
    may repeat the query string: `callback` is the message it carries, so the channel answers
    "success" when that message was already received and refuses it (403) otherwise."""

    def __init__(self, callback: Callback) -> None:
        super().__init__(REPLAYED)
        self.callback = callback


def read_xml(data: bytes | str) -> Dict[str, str]:
    """The <xml> element's children as {tag: text}, read with a DTD, entities and external
    references all forbidden (billion laughs, XXE): anything else raises Rejected."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BODY_BYTES:
        raise Rejected(TOO_LARGE, 413)
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, RecursionError) as error:
        raise Rejected(MALFORMED, 400) from error
    if root.tag != "xml":
        raise Rejected(MALFORMED, 400)
    return {child.tag: (child.text or "") for child in root if isinstance(child.tag, str)}


def signature(token: str, *parts: str) -> str:
    """WeChat's signature: SHA-1 over the sorted, joined token and parts."""
    return hashlib.sha1("".join(sorted([token, *parts])).encode("utf-8")).hexdigest()


def signed(token: str, args: Mapping[str, str]) -> bool:
    """Whether the query's `signature` is WeChat's over (token, timestamp, nonce)."""
    presented = args.get("signature") or ""
    if not token or not presented or not args.get("timestamp") or not args.get("nonce"):
        return False
    expected = signature(token, args["timestamp"], args["nonce"])
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8"))


def fresh(args: Mapping[str, str], now: float) -> bool:
    try:
        return abs(now - int(args.get("timestamp") or "")) <= MAX_CLOCK_SKEW_S
    except ValueError:
        return False


@dataclass(frozen=True)
class Callback:
    """An opened callback: the message (a wechatpy message or event), its fields, and whether
    it came encrypted (safe mode)."""

    message: Any
    fields: Dict[str, str]
    encrypted: bool

    @property
    def delivery_id(self) -> str:
        """What identifies a delivery across WeChat's retries: the follower and the MsgId
        (a MsgId is only unique per follower), or for an event (which has none) the follower
        and the creation time, as WeChat's documents say."""
        if self.fields.get("MsgId"):
            return "{}:{}".format(self.fields.get("FromUserName", ""), self.fields["MsgId"])
        return "event:{}:{}:{}".format(self.fields.get("FromUserName", ""),
                                       self.fields.get("CreateTime", ""),
                                       self.fields.get("Event", ""))


def open_callback(args: Mapping[str, str], body: bytes, *, token: str, aes_key: str,
                  app_id: str, now: float, first_nonce: Callable[[str], bool]) -> Callback:
    """Check and read one POSTed callback; raises Rejected (Replayed for a nonce seen before,
    once the body is read). `first_nonce(key)` records a (timestamp, nonce) pair and says
    whether it is new (shared by every replica)."""
    from wechatpy import parse_message

    if not args.get("signature") or not args.get("timestamp") or not args.get("nonce"):
        raise Rejected(UNSIGNED)
    if not signed(token, args):
        raise Rejected(FORGED)
    if not fresh(args, now):
        raise Rejected(STALE)
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(TOO_LARGE, 413)
    outer = read_xml(body)
    encrypted = (args.get("encrypt_type") or "").lower() == "aes" or "Encrypt" in outer
    if encrypted:
        text = _decrypt(outer, args, token=token, aes_key=aes_key, app_id=app_id)
        fields = read_xml(text)
    else:
        fields, text = outer, body.decode("utf-8")
    if not fields.get("MsgType") or not fields.get("FromUserName"):
        raise Rejected(MALFORMED, 400)
    opened = Callback(parse_message(text), fields, encrypted)
    if not first_nonce(nonce_key(args)):
        raise Replayed(opened)
    return opened


def nonce_key(args: Mapping[str, str]) -> str:
    return f"{args['timestamp']}:{args['nonce']}"[:128]


def _decrypt(outer: Dict[str, str], args: Mapping[str, str], *, token: str, aes_key: str,
             app_id: str) -> str:
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

    if not aes_key:
        raise Rejected(NO_KEY, 503)
    if not outer.get("Encrypt") or not args.get("msg_signature"):
        raise Rejected(UNSIGNED)
    try:
        crypto = WeChatCrypto(token, aes_key, app_id)
        return crypto.decrypt_message(outer, args["msg_signature"], args["timestamp"],
                                      args["nonce"])
    except InvalidSignatureException as error:
        raise Rejected(FORGED) from error
    except InvalidAppIdException as error:
        raise Rejected(FORGED) from error
    except Exception as error:  # padding, base64, length: a body nobody sealed with our key
        raise Rejected(MALFORMED, 400) from error


def echo(args: Mapping[str, str], *, token: str, now: float,
         first_nonce: Callable[[str], bool] | None = None) -> str:
    """The server-URL check (GET with echostr): the echostr when signed by our token, fresh,
    and (with `first_nonce`) its nonce not seen before. WeChat sends one GET per 提交 with a
    new timestamp and nonce, so refusing a repeated one never fails the real check."""
    if not signed(token, args):
        raise Rejected(FORGED)
    if not fresh(args, now):
        raise Rejected(STALE)
    if first_nonce is not None and not first_nonce(nonce_key(args)):
        raise Rejected(REPLAYED)
    return args.get("echostr") or ""


def encrypt_reply(xml: str, *, token: str, aes_key: str, app_id: str, nonce: str,
                  timestamp: str) -> str:
    """An XML reply sealed for safe mode (used by the stand-in to check our side, and by a
    passive reply)."""
    from wechatpy.crypto import WeChatCrypto

    return WeChatCrypto(token, aes_key, app_id).encrypt_message(xml, nonce, timestamp)
