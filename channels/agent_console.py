"""Agent console: a page and a JSON API served by the Rasa server, where human agents log in, take
conversations from the handoff queue, read the transcript and the claim summary, write to the
customer, record complaint outcomes and hand the conversation back to the bot.

Security: every route but the page, its assets and the login needs a live session. A session is
an HttpOnly, SameSite=Strict cookie (or an `Authorization: Bearer` token for scripts) whose hash
is stored with an expiry. State-changing calls made with the cookie also need the session's CSRF
token in `X-CSRF-Token` and, when the browser sends one, an `Origin` of this server. Customer
and agent text is returned as data; the page only ever puts it in `textContent`.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import agents as accounts
from bot import complaints as complaint_service
from bot import handoff as queue
from bot import tasks as task_service
from bot import workers, workspace
from bot.clock import format_local, to_local, utc_now
from bot.kpis import series as kpi_series
from bot.language import clean_text
from bot.outbox import notices as outbox
from bot.privacy import mask_phone, redact_text
from bot.replies import say
from channels.customer_text import strip_invisible
from channels.pages import (
    STATIC_DIR,
    add_page_routes,
    json_error,
    page_headers,
    security_headers,
)

logger = logging.getLogger(__name__)

PAGE_FILE = "agent_console.html"
STATIC_FILES: Dict[str, str] = {
    "agent_console.js": "application/javascript; charset=utf-8",
    "agent_console.css": "text/css; charset=utf-8",
    "agent_dashboard.js": "application/javascript; charset=utf-8",
    "agent_dashboard.css": "text/css; charset=utf-8",
}
# The supervisors' dashboard (bot/kpis/series.py): its page, and ECharts as npm installed it
# (scripts/setup.sh runs `npm ci`; the library is never copied into the repository).
DASHBOARD_FILE = "agent_dashboard.html"
ECHARTS_FILE = (Path(__file__).resolve().parent.parent / "node_modules" / "echarts" / "dist"
                / "echarts.min.js")
COOKIE = "claims_agent_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY_BYTES = 16 * 1024
MAX_MESSAGE_CHARS = 2000
MAX_TRANSCRIPT = 400
HANDED_BACK_INTENT = "EXTERNAL_handed_back"
# Ids in URLs beyond what the store's integer columns hold are unknown, not a database error.
MAX_ROW_ID = 2**31 - 1
REFERENCE_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")
MAX_USERNAME_CHARS = 64  # bot.store.models.Agent.username
LOGIN_RETRY_AFTER_SECONDS = 2
# Logins one client address may have in the login pool at once: one client's flood is turned
# away busy before it can fill the pool that every agent's login shares.
MAX_LOGINS_IN_FLIGHT_PER_ADDRESS = 2
THROTTLED = object()  # a login refused by the throttle (the password was not checked)

SECURITY_HEADERS = security_headers("no-store")
PAGE_HEADERS = page_headers(SECURITY_HEADERS)
# ECharts sets inline styles on the tooltips it draws: the dashboard page allows inline styles
# (never inline scripts).
DASHBOARD_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": PAGE_HEADERS[
    "Content-Security-Policy"].replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")}

Handler = Callable[..., Awaitable[HTTPResponse]]


def public(handler: Handler) -> Handler:
    """A route open without a session (a plain function: Sanic marks the handlers it
    registers, which a bound method cannot take)."""
    @functools.wraps(handler)
    async def route(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        return await handler(request, *args, **kwargs)

    return route


def _error(status: int, code: str, message: str, **extra: Any) -> HTTPResponse:
    return json_error(status, code, message, headers=SECURITY_HEADERS, **extra)


def _ok(data: Any, status: int = 200) -> HTTPResponse:
    return response.json(data, status=status, headers=SECURITY_HEADERS)


def _iso(moment: datetime | None) -> str | None:
    """Stored naive UTC as ISO 8601 with its offset; the page shows it in local time."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).isoformat()


def _ts_iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


async def _in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Store calls block (and password hashing is slow on purpose): keep them off the loop."""
    return await asyncio.to_thread(functools.partial(function, *args, **kwargs))


class DashboardRunner:
    """Runs the dashboard's series (bot/kpis/series.py) off the event loop, in a small pool of
    its own, so a burst of dashboard requests cannot starve customers' chats: identical
    requests within CACHE_S seconds get the same answer (and one in flight is shared), and one
    session has at most one distinct computation in flight (another is a 429).

    The series open their own unit_of_work (one SQLAlchemy session per call, in the worker
    thread that uses it); the engine is shared, which SQLAlchemy allows across threads."""

    CACHE_S = 5.0
    WORKERS = 2

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.WORKERS,
                                        thread_name_prefix="dashboard")
        self._cache: Dict[Tuple[Any, ...], Tuple[float, Any]] = {}
        self._running: Dict[Tuple[Any, ...], asyncio.Future] = {}
        self._by_session: Dict[str, Tuple[Any, ...]] = {}

    def busy(self, session: str, key: Tuple[Any, ...]) -> bool:
        """Whether `session` already waits for another computation than `key`."""
        other = self._by_session.get(session)
        return other is not None and other != key

    async def run(self, session: str, key: Tuple[Any, ...],
                  function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        clock = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > clock:
            return cached[1]
        self._by_session[session] = key
        try:
            future = self._running.get(key)
            if future is None:
                loop = asyncio.get_running_loop()
                future = loop.run_in_executor(self._pool,
                                              functools.partial(function, *args, **kwargs))
                self._running[key] = future
                try:
                    data = await future
                finally:
                    self._running.pop(key, None)
                self._cache = {k: v for k, v in self._cache.items() if v[0] > clock}
                self._cache[key] = (time.monotonic() + self.CACHE_S, data)
                return data
            return await asyncio.shield(future)
        finally:
            if self._by_session.get(session) == key:
                del self._by_session[session]


def _json_body(request: Request) -> Dict[str, Any] | HTTPResponse:
    if len(request.body or b"") > MAX_BODY_BYTES:
        return _error(413, "body_too_large", f"Request body over {MAX_BODY_BYTES} bytes.")
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _error(415, "json_only", "Send a JSON body (Content-Type: application/json).")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting too
        return _error(400, "invalid_json", "Body must be a JSON object.")
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "Body must be a JSON object.")
    # Text that is stored or shown: no NUL or lone surrogate (a password is only hashed).
    return {key: clean_text(value) if isinstance(value, str) and key != "password" else value
            for key, value in body.items()}


def _entry_data(entry: queue.QueueEntry, now: datetime | None = None, *,
                full_phone: bool = False) -> Dict[str, Any]:
    """A handoff as the console shows it. The call-back number is masked in the queue list and
    given in full only with the handoff's detail, whose reading is audited (`show`)."""
    waited_from = entry.created_at
    now = now or utc_now()
    return {
        "id": entry.id,
        "conversation_id": entry.conversation_id,
        "channel": entry.channel,
        "reason": entry.reason,
        "priority": entry.priority,
        "language": entry.language,
        "status": entry.status,
        "agent_id": entry.agent_id,
        "agent_name": entry.agent_name,
        "created_at": _iso(entry.created_at),
        "taken_at": _iso(entry.taken_at),
        "closed_at": _iso(entry.closed_at),
        "waiting_s": int((now - waited_from).total_seconds()),
        "summary": _shown(entry.summary),
        "resolution": entry.resolution,
        # A call-back the customer booked while waiting out of hours: when (UTC, and local for
        # reading) and the number to ring.
        "callback_at": _iso(entry.callback_at),
        "callback_local": format_local(entry.callback_at) if entry.callback_at else None,
        "callback_phone": entry.callback_phone if full_phone else
        (mask_phone(entry.callback_phone) or None),
        # Where it goes first: its case owner (首问负责制) or whom it was transferred to.
        "routed_to_id": entry.routed_to_id, "routed_to_name": entry.routed_to_name,
        "routed_role": entry.routed_role, "routed_why": entry.routed_why,
        "transfer_note": _shown(entry.transfer_note),
    }


def _routed_to(entry: queue.QueueEntry, agent: accounts.AgentInfo) -> bool:
    """Whether a queued handoff is routed to this agent (by name, or to their role)."""
    return entry.status == "queued" and (
        entry.routed_to_id == agent.id or (entry.routed_role is not None
                                           and entry.routed_role == agent.role))


def _shown(value: Any) -> Any:
    """Customer text as an agent reads it: no bidi overrides or zero-width characters, which
    could make a line read differently from what it says (nested summaries too)."""
    if isinstance(value, str):
        return strip_invisible(value)
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shown(item) for item in value]
    return value


def _complaint_data(view: complaint_service.ComplaintView) -> Dict[str, Any]:
    def clock(c: complaint_service.ComplaintClock) -> Dict[str, Any]:
        return {"due_at": _iso(c.due_at), "status": c.status.value, "met_at": _iso(c.met_at),
                "late": c.late}

    return _shown({
        "reference": view.reference, "status": view.status,
        "complainant_name": view.complainant_name, "phone_masked": view.phone_masked,
        "verified_customer": view.customer_id is not None, "about_kind": view.about_kind,
        "subject": view.subject, "claim_number": view.claim_number, "request": view.request,
        "facts": view.facts, "channel": view.channel, "language": view.language,
        "conversation_id": view.conversation_id, "received_at": _iso(view.received_at),
        "complexity": view.complexity, "outcome": view.outcome, "accepted": view.accepted,
        "repeat_of": view.repeat_of, "repeated": view.repeated, "source": view.source,
        "acknowledge": clock(view.acknowledge), "decision": clock(view.decision),
    })


def transcript(tracker: Any) -> List[Dict[str, Any]]:
    """The conversation as the agent reads it: customer, bot and agent lines, and the moments
    the bot was paused and resumed. External triggers are not customer words and are left out."""
    lines: List[Dict[str, Any]] = []
    for event in tracker.events if tracker is not None else []:
        if isinstance(event, UserUttered):
            intent = (event.intent or {}).get("name") or ""
            if intent.startswith("EXTERNAL_") or (event.text or "").startswith("EXTERNAL:"):
                continue
            if event.text:
                lines.append({"from": "customer",
                              "text": redact_text(strip_invisible(event.text), masked=True),
                              "at": _ts_iso(event.timestamp)})
        elif isinstance(event, BotUttered):
            agent = (event.metadata or {}).get("agent")
            if event.text:
                lines.append({"from": "agent" if agent else "bot",
                              "text": redact_text(strip_invisible(event.text), masked=True),
                              "agent": agent, "at": _ts_iso(event.timestamp)})
        elif isinstance(event, ConversationPaused):
            lines.append({"from": "system", "event": "paused", "at": _ts_iso(event.timestamp)})
        elif isinstance(event, ConversationResumed):
            lines.append({"from": "system", "event": "resumed", "at": _ts_iso(event.timestamp)})
    return lines[-MAX_TRANSCRIPT:]


class AgentConsoleInput(InputChannel):
    """Registered in credentials.yml; serves /webhooks/agent/ on the Rasa server."""

    @classmethod
    def name(cls) -> str:
        return "agent"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(secure_cookie=credentials.get("secure_cookie"))

    def __init__(self, secure_cookie: bool | None = None) -> None:
        # None: Secure when the request came over HTTPS (directly or via a proxy header).
        self.secure_cookie = secure_cookie
        self.dashboard_runner = DashboardRunner()
        self.throttle = accounts.LoginThrottle()
        self._logins_in_flight: Dict[str, int] = {}  # client address -> logins in the pool
        # (agent, handoff) pairs whose reading is already in the audit log: the page polls.
        self._viewed: set[tuple[int, int]] = set()

    def _attempt(self, username: str, password: str,
                 address: str | None) -> accounts.AgentInfo | object | None:
        """One login, counted per normalised username and client address (blocking)."""
        if self.throttle.blocked(username, address):
            accounts.record_refused_login(username, address)
            return THROTTLED
        agent = accounts.authenticate(username, password)
        if agent is None:
            self.throttle.failed(username, address)
        else:
            self.throttle.succeeded(username, address)
        return agent

    # -- sessions ---------------------------------------------------------------------------
    @staticmethod
    def _token(request: Request) -> tuple[str | None, bool]:
        """The session token and whether it came as a bearer token (no CSRF needed then: a
        browser never sends one by itself)."""
        authorization = request.headers.get("authorization") or ""
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip() or None, True
        return request.cookies.get(COOKIE), False

    @staticmethod
    def _same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        host = request.headers.get("host") or ""
        return origin.split("://", 1)[-1].rstrip("/") == host

    def authed(self, state_changing: bool) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            @functools.wraps(handler)
            async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                token, bearer = self._token(request)
                info = await _in_thread(accounts.session_info, token) if token else None
                if info is None:
                    return _error(401, "not_logged_in", "Log in first (session missing, "
                                  "expired or not valid).")
                if state_changing and not bearer:
                    csrf = request.headers.get(CSRF_HEADER)
                    if not self._same_origin(request) or not accounts.csrf_matches(info, csrf):
                        return _error(403, "csrf", "Missing or wrong CSRF token.")
                handoff_id, reference = kwargs.get("handoff_id"), kwargs.get("reference")
                if handoff_id is not None and not 0 < handoff_id <= MAX_ROW_ID:
                    return _error(404, "not_found", "No such handoff.")
                for name in ("task_id", "file_id"):
                    if kwargs.get(name) is not None and not 0 < kwargs[name] <= MAX_ROW_ID:
                        return _error(404, "not_found", f"No such {name[:-3]}.")
                if reference is not None and not REFERENCE_PATTERN.fullmatch(reference):
                    return _error(404, "not_found", "No such complaint.")
                request.ctx.session = info
                request.ctx.token = token
                return await handler(request, *args, **kwargs)

            return wrapper

        return decorate

    def _secure(self, request: Request) -> bool:
        if self.secure_cookie is not None:
            return bool(self.secure_cookie)
        forwarded = (request.headers.get("x-forwarded-proto") or "").lower()
        return request.scheme == "https" or forwarded == "https"

    @staticmethod
    def _cookie_path(request: Request) -> str:
        return request.path.rsplit("/api/", 1)[0] or "/"

    # -- talking to the customer -----------------------------------------------------------
    @staticmethod
    def _push_output(app: Any, channel: str | None) -> Any:
        """The output channel of a channel that can send unprompted (Telegram, SMS), or None
        for those whose clients collect their messages (web chat, REST)."""
        if channel in outbox.PULL_CHANNELS:
            return None
        for input_channel in getattr(app.ctx, "input_channels", None) or []:
            if input_channel.name() == channel:
                output = input_channel.get_output_channel()
                if output is not None and not isinstance(output, CollectingOutputChannel):
                    return output
        return None

    async def deliver(self, app: Any, conversation_id: str, channel: str | None,
                      texts: List[str], *, kind: str, language: str | None) -> None:
        """Through the customer's channel: pushed now where the channel can, otherwise kept in
        the conversation's outbox for the page to collect."""
        output = self._push_output(app, channel)
        for text in texts:
            if output is not None:
                await output.send_text_message(conversation_id, text)
                await _in_thread(outbox.queue_message, conversation_id, channel, text, kind=kind,
                                 language=language, status="sent")
            else:
                await _in_thread(outbox.queue_message, conversation_id, channel, text, kind=kind,
                                 language=language)

    @staticmethod
    async def _tracker(rasa_agent: Any, conversation_id: str) -> Any:
        processor = getattr(rasa_agent, "processor", None)
        if processor is not None:
            return await processor.get_tracker(conversation_id)
        return await rasa_agent.tracker_store.get_or_create_tracker(
            conversation_id, append_action_listen=False
        )

    async def say_as_agent(self, app: Any, conversation_id: str, channel: str | None,
                           texts: List[str], *, agent: accounts.AgentInfo, kind: str,
                           language: str | None, pause: bool = False) -> None:
        """Record the words in the tracker as the bot's, with the agent's name, then deliver
        them. The tracker is changed under the conversation's lock, as Rasa does."""
        rasa_agent = app.ctx.agent
        async with rasa_agent.lock_store.lock(conversation_id):
            tracker = await self._tracker(rasa_agent, conversation_id)
            if pause and not tracker.is_paused():
                # A session that expired while queued wakes the bot up; keep it quiet.
                tracker.update(ConversationPaused())
            for text in texts:
                tracker.update(BotUttered(text, metadata={
                    "agent": agent.display_name, "agent_username": agent.username,
                }))
            await rasa_agent.tracker_store.save(tracker)
        await self.deliver(app, conversation_id, channel, texts, kind=kind, language=language)

    async def resume_bot(self, app: Any, entry: queue.QueueEntry) -> List[str]:
        """Give the conversation back to the bot and let it greet the customer; returns what
        it said (already delivered)."""
        rasa_agent = app.ctx.agent
        collector = CollectingOutputChannel()
        async with rasa_agent.lock_store.lock(entry.conversation_id):
            processor = rasa_agent.processor
            tracker = await processor.fetch_tracker_and_update_session(
                entry.conversation_id, collector
            )
            tracker.update(ConversationResumed())
            # The bot's turn starts after a listen, as if the customer had just written.
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            try:
                await processor.trigger_external_user_uttered(
                    HANDED_BACK_INTENT, None, tracker, collector
                )
            except Exception:
                logger.exception("console: hand-back greeting for %s failed",
                                 entry.conversation_id)
                await rasa_agent.tracker_store.save(tracker)  # the bot is back either way
        texts = [m["text"] for m in collector.messages if m.get("text")]
        await self.deliver(app, entry.conversation_id, entry.channel, texts,
                           kind="handed_back", language=entry.language)
        return texts

    # -- routes -------------------------------------------------------------------------------
    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The page and its assets (channels.pages), then every API route of the console:
        `public` needs no session, `reads` and `changes` a live one, a change also the CSRF
        token."""
        console = Blueprint(f"agent_console_{type(self).__name__}")
        add_page_routes(console, PAGE_FILE, STATIC_FILES, security=SECURITY_HEADERS,
                        page=PAGE_HEADERS)
        reads, changes = self.authed(state_changing=False), self.authed(state_changing=True)
        routes: List[Tuple[str, List[str], Handler]] = [
            ("/api/login", ["POST"], public(self.login)),
            ("/api/logout", ["POST"], changes(self.logout)),
            ("/api/me", ["GET"], reads(self.me)),
            ("/api/queue", ["GET"], reads(self.list_queue)),
            ("/api/handoffs/<handoff_id:int>", ["GET"], reads(self.show)),
            ("/api/handoffs/<handoff_id:int>/take", ["POST"], changes(self.take)),
            ("/api/handoffs/<handoff_id:int>/messages", ["POST"], changes(self.write)),
            ("/api/handoffs/<handoff_id:int>/handback", ["POST"], changes(self.handback)),
            ("/api/complaints", ["GET"], reads(self.complaints)),
            ("/api/complaints/<reference>/outcome", ["POST"], changes(self.outcome)),
            ("/api/complaints/<reference>/acknowledge", ["POST"], changes(self.acknowledge)),
            ("/api/complaints/<reference>/complexity", ["POST"], changes(self.complexity)),
            # The claim workspace (bot/workspace.py).
            ("/api/agents", ["GET"], reads(self.colleagues)),
            ("/api/lookup", ["POST"], changes(self.lookup)),
            ("/api/files/<file_id:int>", ["GET"], reads(self.file)),
            ("/api/tasks", ["GET"], reads(self.tasks)),
            ("/api/tasks/<task_id:int>/take", ["POST"], changes(self.take_task)),
            ("/api/tasks/<task_id:int>/done", ["POST"], changes(self.finish_task)),
            ("/api/complaints", ["POST"], changes(self.record_complaint)),
            ("/api/regulator", ["GET"], reads(self.regulator)),
            ("/api/handoffs/<handoff_id:int>/transfer", ["POST"], changes(self.transfer)),
            ("/api/notes", ["POST"], changes(self.add_note)),
            ("/api/templates", ["GET"], reads(self.templates)),
            # The supervisors' dashboard (bot/kpis/series.py).
            ("/dashboard", ["GET"], public(self.dashboard_page)),
            ("/vendor/echarts.min.js", ["GET"], public(self.echarts)),
            ("/api/dashboard", ["GET"], reads(self.dashboard)),
            ("/api/dashboard/claims", ["GET"], reads(self.dashboard_claims)),
            # Last: anything else under api/ is a JSON 404.
            ("/api/<rest:path>", ["GET", "POST", "PUT", "PATCH", "DELETE"],
             public(self.api_not_found)),
        ]
        for path, methods, handler in routes:
            console.add_route(handler, path, methods=methods, name=handler.__name__)
        return console

    # -- the handlers (registered in blueprint()) ------------------------------------------
    async def login(self, request: Request) -> HTTPResponse:
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        if not self._same_origin(request):
            return _error(403, "csrf", "Log in from this server's own page.")
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return _error(400, "invalid_login", "Username and password are required.")
        if len(username) > MAX_USERNAME_CHARS:  # no such agent; and kept out of the throttle
            return _error(401, "wrong_login", "Wrong username or password.")
        address = request.remote_addr or request.ip or None
        busy = json_error(429, "busy", "The console is busy; try again in a moment.",
                          headers={**SECURITY_HEADERS,
                                   "Retry-After": str(LOGIN_RETRY_AFTER_SECONDS)})
        in_flight = self._logins_in_flight.get(address or "", 0)
        if in_flight >= MAX_LOGINS_IN_FLIGHT_PER_ADDRESS:
            return busy
        self._logins_in_flight[address or ""] = in_flight + 1
        try:
            # Throttle, hash and record in the login pool: a flood waits there (or is
            # turned away), not in the threads customers' turns use.
            agent = await workers.pool("login").run(self._attempt, username, password,
                                                    address)
        except workers.Busy:
            return busy
        finally:
            left = self._logins_in_flight.get(address or "", 1) - 1
            if left > 0:
                self._logins_in_flight[address or ""] = left
            else:
                self._logins_in_flight.pop(address or "", None)
        if agent is THROTTLED:
            # At most one throttle window away (the counters run from the first failure).
            return json_error(429, "too_many_attempts", "Too many failed logins; try later.",
                              headers={**SECURITY_HEADERS, "Retry-After": str(
                                  max(1, int(self.throttle.window_s)))})
        if agent is None:
            return _error(401, "wrong_login", "Wrong username or password.")
        session = await _in_thread(accounts.start_session, agent)
        data: Dict[str, Any] = {
            "agent": {"username": agent.username, "display_name": agent.display_name,
                      "role": agent.role},
            "csrf_token": session.csrf_token,
            "expires_at": _iso(session.expires_at),
        }
        if body.get("want_token") is True:  # scripts: use it as a bearer token
            data["token"] = session.token
        result = _ok(data)
        max_age = int((session.expires_at - utc_now())
                      .total_seconds())
        result.cookies[COOKIE] = session.token
        cookie = result.cookies[COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = self._cookie_path(request)
        cookie["max-age"] = max(max_age, 0)
        if self._secure(request):
            cookie["secure"] = True
        return result

    async def logout(self, request: Request) -> HTTPResponse:
        await _in_thread(accounts.end_session, request.ctx.token)
        result = _ok({"logged_out": True})
        result.cookies[COOKIE] = ""
        result.cookies[COOKIE]["max-age"] = 0
        result.cookies[COOKIE]["path"] = self._cookie_path(request)
        return result

    async def me(self, request: Request) -> HTTPResponse:
        info: accounts.SessionInfo = request.ctx.session
        # A reloaded page has lost its CSRF token: hand out a fresh one.
        csrf = await _in_thread(accounts.renew_csrf, request.ctx.token)
        return _ok({"agent": {"username": info.agent.username,
                              "display_name": info.agent.display_name,
                              "role": info.agent.role},
                    "csrf_token": csrf, "expires_at": _iso(info.expires_at)})

    async def list_queue(self, request: Request) -> HTTPResponse:
        entries = await _in_thread(queue.open_queue)
        agent: accounts.AgentInfo = request.ctx.session.agent
        # What is routed to this agent (their case, a transfer to them) comes first for them.
        ordered = sorted(entries, key=lambda entry: not _routed_to(entry, agent))
        return _ok({"queue": [dict(_entry_data(entry), theirs=_routed_to(entry, agent))
                              for entry in ordered]})

    async def show(self, request: Request, handoff_id: int) -> HTTPResponse:
        entry = await _in_thread(queue.get_entry, handoff_id)
        if entry is None:
            return _error(404, "not_found", "No such handoff.")
        tracker = await request.app.ctx.agent.tracker_store.retrieve_full_tracker(
            entry.conversation_id
        )
        info: accounts.SessionInfo = request.ctx.session
        if (info.agent.id, handoff_id) not in self._viewed:
            # Who saw which conversation is kept (PIPL), once per agent and handoff.
            self._viewed.add((info.agent.id, handoff_id))
            await _in_thread(queue.record, f"agent:{info.agent.username}",
                             "handoff.viewed", handoff_id,
                             {"conversation": entry.conversation_id})
        notes = await _in_thread(workspace.notes_for, conversation_id=entry.conversation_id)
        return _ok({"handoff": _entry_data(entry, full_phone=True),
                    "transcript": transcript(tracker), "notes": _shown(notes),
                    "mine": entry.status == "taken" and entry.agent_id == info.agent.id})

    async def take(self, request: Request, handoff_id: int) -> HTTPResponse:
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            entry = await _in_thread(queue.take, handoff_id, agent.id,
                                     actor=f"agent:{agent.username}", role=agent.role)
        except queue.HandoffNotFound:
            return _error(404, "not_found", "No such handoff.")
        except queue.RoutedElsewhere as routed:
            await _in_thread(queue.record, f"agent:{agent.username}", "handoff.take_refused",
                             handoff_id, {"reason": "routed_elsewhere"})
            return _error(403, "routed_elsewhere", f"This conversation was transferred to "
                          f"{routed.to}; only they or a supervisor may take it.")
        except queue.AlreadyTaken as taken:
            return _error(409, "already_taken", "Another agent has taken this conversation.",
                          by=taken.by)
        greeting = say("handoff_agent_joined", entry.language, agent=agent.display_name)
        await self.say_as_agent(request.app, entry.conversation_id, entry.channel, [greeting],
                                agent=agent, kind="agent_message", language=entry.language,
                                pause=True)
        reference = (entry.summary.get("complaint") or {}).get("reference")
        if reference:  # a person has the complaint now: the 48-hour clock is met
            await _in_thread(complaint_service.acknowledge, reference,
                             f"agent:{agent.username}")
        return _ok({"handoff": _entry_data(entry)})

    async def write(self, request: Request, handoff_id: int) -> HTTPResponse:
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "empty_message", "'text' must not be empty.")
        if len(text) > MAX_MESSAGE_CHARS:
            return _error(413, "message_too_long",
                          f"'text' is longer than {MAX_MESSAGE_CHARS} characters.")
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            entry = await _in_thread(queue.held_by, handoff_id, agent.id)
        except queue.HandoffNotFound:
            return _error(404, "not_found", "No such handoff.")
        except queue.NotYours:
            return _error(403, "not_yours", "Take the conversation before writing to it.")
        await self.say_as_agent(request.app, entry.conversation_id, entry.channel,
                                [text.strip()], agent=agent, kind="agent_message",
                                language=entry.language)
        await _in_thread(queue.record, f"agent:{agent.username}", "handoff.agent_message",
                         handoff_id, {"chars": len(text)})
        return _ok({"sent": True})

    async def handback(self, request: Request, handoff_id: int) -> HTTPResponse:
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        note = body.get("resolution")
        if note is not None and not isinstance(note, str):
            return _error(400, "invalid_resolution", "'resolution' must be a string.")
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            entry = await _in_thread(queue.hand_back, handoff_id, agent.id, note,
                                     actor=f"agent:{agent.username}")
        except queue.HandoffNotFound:
            return _error(404, "not_found", "No such handoff.")
        except queue.NotYours:
            return _error(403, "not_yours", "Only the agent holding it can hand it back.")
        said = await self.resume_bot(request.app, entry)
        return _ok({"handoff": _entry_data(entry), "bot_said": said})

    async def complaints(self, request: Request) -> HTTPResponse:
        refused = await self._permit(request, "list_complaints")
        if refused is not None:
            return refused
        views = await _in_thread(complaint_service.list_complaints)
        return _ok({"complaints": [_complaint_data(view) for view in views]})

    async def _tell(self, request: Request, notice: complaint_service.CustomerNotice | None,
                    agent: accounts.AgentInfo) -> None:
        if notice is None or not notice.conversation_id:
            return
        await self.say_as_agent(request.app, notice.conversation_id, notice.channel,
                                [notice.text], agent=agent, kind=notice.kind,
                                language=notice.language)

    async def outcome(self, request: Request, reference: str) -> HTTPResponse:
        refused = await self._permit(request, "work_complaint")
        if refused is not None:
            return refused
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        text, accepted = body.get("outcome"), body.get("accepted")
        if not isinstance(text, str) or not text.strip() or len(text) > 4000:
            return _error(400, "invalid_outcome", "'outcome' must be 1-4000 characters.")
        if accepted not in (True, False, None):
            return _error(400, "invalid_accepted", "'accepted' must be true, false or null.")
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            view, notice = await _in_thread(complaint_service.record_outcome, reference,
                                            text, accepted, f"agent:{agent.username}")
        except complaint_service.ComplaintNotFound:
            return _error(404, "not_found", "No such complaint.")
        except complaint_service.ComplaintClosed as error:
            return _error(409, "complaint_closed", str(error))
        except complaint_service.ComplaintError as error:
            return _error(400, "refused", str(error))
        await self._tell(request, notice, agent)
        return _ok({"complaint": _complaint_data(view), "customer_told": bool(
            notice.conversation_id)})

    async def acknowledge(self, request: Request, reference: str) -> HTTPResponse:
        refused = await self._permit(request, "work_complaint")
        if refused is not None:
            return refused
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            view = await _in_thread(complaint_service.acknowledge, reference,
                                    f"agent:{agent.username}")
        except complaint_service.ComplaintNotFound:
            return _error(404, "not_found", "No such complaint.")
        return _ok({"complaint": _complaint_data(view)})

    async def complexity(self, request: Request, reference: str) -> HTTPResponse:
        refused = await self._permit(request, "work_complaint")
        if refused is not None:
            return refused
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        level = body.get("complexity")
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            view, notice = await _in_thread(complaint_service.set_complexity, reference,
                                            str(level), f"agent:{agent.username}")
        except complaint_service.ComplaintNotFound:
            return _error(404, "not_found", "No such complaint.")
        except complaint_service.ComplaintClosed as error:
            return _error(409, "complaint_closed", str(error))
        except complaint_service.ComplaintError as error:
            return _error(400, "refused", str(error))
        await self._tell(request, notice, agent)
        return _ok({"complaint": _complaint_data(view)})


    # -- the claim workspace (bot/workspace.py) --------------------------------------------------
    @staticmethod
    async def _permit(request: Request, action: str) -> HTTPResponse | None:
        """None when the agent's role allows `action`; else the 403 (the refusal is audited)."""
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            await _in_thread(workspace.require, agent.role, action, f"agent:{agent.username}")
        except workspace.WorkspaceError as error:
            return _error(error.status, error.code, error.message)
        return None

    async def colleagues(self, request: Request) -> HTTPResponse:
        """Active agents to transfer a conversation to (not oneself)."""
        me: accounts.AgentInfo = request.ctx.session.agent
        agents = await _in_thread(accounts.list_agents)
        return _ok({"agents": [{"username": a.username, "display_name": a.display_name,
                                "role": a.role} for a in agents if a.active and a.id != me.id]})

    async def lookup(self, request: Request) -> HTTPResponse:
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        query, reason = body.get("query"), body.get("reason")
        if not isinstance(query, str) or not query.strip() or len(query) > 64:
            return _error(400, "invalid_query", "'query' is a claim, policy or phone number.")
        if reason is not None and not isinstance(reason, str):
            return _error(400, "reason_required", "'reason' must be text.")
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            found = await _in_thread(workspace.lookup, query, reason or "",
                                     f"agent:{agent.username}", role=agent.role or "agent")
        except workspace.WorkspaceError as error:
            return _error(error.status, error.code, error.message)
        if found["kind"] == "claim":
            # The conversation history: the transcripts the console shows for handoffs.
            store = request.app.ctx.agent.tracker_store
            history = []
            for conversation_id in found["claim"]["conversations"]:
                tracker = await store.retrieve_full_tracker(conversation_id)
                history.append({"conversation_id": conversation_id,
                                "transcript": transcript(tracker)})
            found["claim"]["history"] = history
        return _ok(_shown(found))

    async def file(self, request: Request, file_id: int) -> HTTPResponse:
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            served = await _in_thread(workspace.file_to_serve, file_id,
                                      f"agent:{agent.username}")
        except workspace.WorkspaceError as error:
            return _error(error.status, error.code, error.message)
        body = await _in_thread(served.path.read_bytes)
        return response.raw(body, content_type=served.content_type, headers={
            **SECURITY_HEADERS, "Content-Disposition": served.disposition,
            "X-Content-Type-Options": "nosniff",
            # Nothing in a file runs: no scripts, no frames; the browser's own image and PDF
            # viewers may show it.
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; object-src 'self'; "
                                       "style-src 'unsafe-inline'; frame-ancestors 'none'",
        })

    async def tasks(self, request: Request) -> HTTPResponse:
        """The tasks this agent's role may work (bot.tasks.ROLE_CAN_WORK), soonest due first."""
        agent: accounts.AgentInfo = request.ctx.session.agent
        status = request.args.get("status") or "active"
        if status not in ("active", "open", "taken", "done", "all"):
            return _error(400, "invalid_status", "'status' is active, open, taken, done or all.")
        views = await _in_thread(task_service.list_tasks, status=status, role=agent.role)
        return _ok({"tasks": [_shown(workspace.task_data(view)) for view in views],
                    "role": agent.role})

    async def take_task(self, request: Request, task_id: int) -> HTTPResponse:
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            view = await _in_thread(task_service.take_task, task_id, agent.username)
        except task_service.TaskError as error:
            return _error(error.status, error.code, error.message)
        return _ok({"task": workspace.task_data(view)})

    async def finish_task(self, request: Request, task_id: int) -> HTTPResponse:
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        outcome = body.get("outcome")
        if not isinstance(outcome, str) or len(outcome) > 2000:
            return _error(400, "outcome_required", "'outcome' says what was done (text).")
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            view = await _in_thread(task_service.finish_task, task_id, agent.username, outcome)
        except task_service.TaskError as error:
            return _error(error.status, error.code, error.message)
        return _ok({"task": workspace.task_data(view)})

    async def record_complaint(self, request: Request) -> HTTPResponse:
        refused = await self._permit(request, "record_complaint")
        if refused is not None:
            return refused
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            view = await _in_thread(workspace.record_offline_complaint, body,
                                    f"agent:{agent.username}")
        except workspace.WorkspaceError as error:
            return _error(error.status, error.code, error.message)
        return _ok({"complaint": _complaint_data(view)}, status=201)

    async def regulator(self, request: Request) -> HTTPResponse:
        refused = await self._permit(request, "regulator_list")
        if refused is not None:
            return refused
        return _ok(_shown(await _in_thread(workspace.regulator_list)))

    async def transfer(self, request: Request, handoff_id: int) -> HTTPResponse:
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        to_agent, to_role, note = body.get("to_agent"), body.get("to_role"), body.get("note")
        if any(v is not None and not isinstance(v, str) for v in (to_agent, to_role, note)):
            return _error(400, "invalid_target", "'to_agent', 'to_role' and 'note' are text.")
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            entry, name = await _in_thread(
                queue.transfer, handoff_id, agent.id, actor=f"agent:{agent.username}",
                to_username=to_agent or None, to_role=to_role or None, note=note,
                role=agent.role)
        except queue.HandoffNotFound:
            return _error(404, "not_found", "No such handoff.")
        except queue.NotYours:
            return _error(403, "not_yours", "Take the conversation before transferring it.")
        except queue.TransferRefused as error:
            return _error(error.status, error.code, str(error))
        if entry.routed_to_id is not None:
            told = say("handoff_transferred", entry.language, agent=name)
        else:
            told = say("handoff_transferred_team", entry.language,
                       team=say(f"handoff_team.{entry.routed_role}", entry.language))
        await self.say_as_agent(request.app, entry.conversation_id, entry.channel, [told],
                                agent=agent, kind="agent_message", language=entry.language)
        return _ok({"handoff": _entry_data(entry), "customer_told": told})

    async def add_note(self, request: Request) -> HTTPResponse:
        body = _json_body(request)
        if isinstance(body, HTTPResponse):
            return body
        text, claim_number, handoff_id = (body.get("text"), body.get("claim_number"),
                                          body.get("handoff_id"))
        if not isinstance(text, str) or (claim_number is not None
                                         and not isinstance(claim_number, str)):
            return _error(400, "invalid_note", "'text' (and 'claim_number') are text.")
        conversation_id = None
        if handoff_id is not None:
            if type(handoff_id) is not int or not 0 < handoff_id <= MAX_ROW_ID:
                return _error(404, "not_found", "No such handoff.")
            entry = await _in_thread(queue.get_entry, handoff_id)
            if entry is None:
                return _error(404, "not_found", "No such handoff.")
            conversation_id = entry.conversation_id
        agent: accounts.AgentInfo = request.ctx.session.agent
        try:
            note = await _in_thread(workspace.add_note, text, f"agent:{agent.username}",
                                    claim_number=claim_number, conversation_id=conversation_id)
        except workspace.WorkspaceError as error:
            return _error(error.status, error.code, error.message)
        return _ok({"note": _shown(note)}, status=201)

    async def templates(self, request: Request) -> HTTPResponse:
        return _ok({"templates": workspace.quick_replies()})

    # -- the supervisors' dashboard (bot/kpis/series.py) ---------------------------------------
    async def dashboard_page(self, request: Request) -> HTTPResponse:
        """The page alone (no figures): its script asks the API, which checks the role."""
        html = (STATIC_DIR / DASHBOARD_FILE).read_text(encoding="utf-8")
        return response.html(html, headers=DASHBOARD_HEADERS)

    async def echarts(self, request: Request) -> HTTPResponse:
        if not ECHARTS_FILE.is_file():
            return _error(503, "echarts_missing", "ECharts is not installed: run `make setup` "
                          "(npm ci) in the repository.")
        body = await _in_thread(ECHARTS_FILE.read_bytes)
        return response.raw(body, content_type="application/javascript; charset=utf-8",
                            headers={**security_headers("public, max-age=3600")})

    @staticmethod
    def _filters(request: Request) -> Dict[str, Any]:
        return {"line": request.args.get("line") or None,
                "channel": request.args.get("channel") or None}

    def _compute_key(self, request: Request, *names: str) -> Tuple[Any, ...]:
        """What identifies a dashboard answer: the route, its query values, today's date."""
        return (request.path, to_local(utc_now()).date().isoformat(),
                *(request.args.get(name) or "" for name in names))

    async def _compute(self, request: Request, key: Tuple[Any, ...],
                       function: Callable[..., Any], *args: Any, **kwargs: Any
                       ) -> HTTPResponse | Any:
        session = accounts.token_hash(request.ctx.token or "")
        if self.dashboard_runner.busy(session, key):
            return _error(429, "dashboard_busy", "The dashboard is still working on your "
                          "last request; wait for it, then ask again.")
        return await self.dashboard_runner.run(session, key, function, *args, **kwargs)

    async def dashboard(self, request: Request) -> HTTPResponse:
        refused = await self._permit(request, "dashboard")
        if refused is not None:
            return refused
        now = utc_now()
        try:
            period = kpi_series.period_from_text(request.args.get("from"),
                                                 request.args.get("to"), now)
            filters = self._filters(request)
            kpi_series.check_filters(**filters)
            data = await self._compute(
                request, self._compute_key(request, "from", "to", "line", "channel"),
                kpi_series.dashboard, period, now=now, **filters)
        except kpi_series.SeriesError as error:
            return _error(400, error.code, error.message)
        if isinstance(data, HTTPResponse):
            return data
        agent: accounts.AgentInfo = request.ctx.session.agent
        return _ok({**data, "agent": {"display_name": agent.display_name,
                                      "username": agent.username, "role": agent.role}})

    async def dashboard_claims(self, request: Request) -> HTTPResponse:
        refused = await self._permit(request, "dashboard")
        if refused is not None:
            return refused
        now = utc_now()
        try:
            period = kpi_series.period_from_text(request.args.get("from"),
                                                 request.args.get("to"), now)
            filters = self._filters(request)
            kpi_series.check_filters(**filters)
            chart, key = request.args.get("chart") or "", request.args.get("key") or ""
            kpi_series.check_point(chart, key)
            day = kpi_series.day_from_text(request.args.get("day"))
            data = await self._compute(
                request, self._compute_key(request, "from", "to", "line", "channel", "chart",
                                           "key", "day"),
                kpi_series.claims_behind, period, chart, key, day, now=now, **filters)
        except kpi_series.SeriesError as error:
            return _error(400, error.code, error.message)
        if isinstance(data, HTTPResponse):
            return data
        return _ok(data)

    async def api_not_found(self, request: Request, rest: str = "") -> HTTPResponse:
        """Any other path under api/: a JSON 404 (not the server's HTML page)."""
        return _error(404, "not_found", "No such API route.")
