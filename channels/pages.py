"""What the web pages served by our channels share: safe headers, JSON errors, page routes."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Mapping

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"

# The pages load nothing from elsewhere and run no inline script, so typed HTML cannot run.
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def security_headers(cache_control: str) -> Dict[str, str]:
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": cache_control,
    }


def page_headers(security: Mapping[str, str]) -> Dict[str, str]:
    return {**security, "Content-Security-Policy": _CONTENT_SECURITY_POLICY,
            "X-Frame-Options": "DENY"}


def json_error(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> HTTPResponse:
    return response.json({"error": code, "message": message, **extra}, status=status,
                         headers=dict(headers or {}))


# The methods a JSON API answers itself when one is not allowed on a path (Sanic's own 405 is an
# HTML page for a browser).
FALLBACK_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def method_not_allowed(allowed: str) -> Callable[..., Awaitable[HTTPResponse]]:
    """A handler answering 405 in JSON, naming the method to use (`Allow`)."""

    async def handle(request: Request, **_: Any) -> HTTPResponse:
        return json_error(405, "method_not_allowed",
                          f"{request.method} is not allowed here; use {allowed}.",
                          headers={"Allow": allowed})

    return handle


def add_page_routes(
    blueprint: Blueprint,
    page_file: str,
    static_files: Mapping[str, str],
    *,
    security: Mapping[str, str],
    page: Mapping[str, str],
) -> None:
    """GET / serves the page; GET /static/<name> serves only the listed files (the name is a
    key, never a path, so nothing else on disk can be reached)."""

    @blueprint.route("/", methods=["GET"])
    async def page_route(request: Request) -> HTTPResponse:
        # The page links its assets relatively, so it must be read from a URL ending in "/".
        if not request.path.endswith("/"):
            return response.redirect(request.path + "/")
        html = (STATIC_DIR / page_file).read_text(encoding="utf-8")
        return response.html(html, headers=dict(page))

    @blueprint.route("/static/<filename>", methods=["GET"])
    async def static_route(request: Request, filename: str) -> HTTPResponse:
        content_type = static_files.get(filename)
        if content_type is None:
            return json_error(404, "not_found", "No such file.", headers=security)
        body = (STATIC_DIR / filename).read_bytes()
        return response.raw(body, content_type=content_type, headers=dict(security))
