"""The WeChat API through wechatpy's client, with the access token every replica shares.

WeChat allows 2,000 token fetches a day and each fetch retires the previous token within
minutes, so replicas must not each keep their own: the token and its expiry live in the store
(table wechat_tokens). A call answered 40001 / 40014 / 42001 (invalid, revoked or expired token)
takes a newer token (another replica's, or a fresh fetch) and is retried once; a second refusal
is raised (wechatpy's own retry would loop)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.clock import as_utc_naive
from bot.store.db import unit_of_work
from bot.store.models import WeChatToken

logger = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
OUTSIDE_WINDOW = 45015  # "response out of time limit": past the 48-hour window
UNSUBSCRIBED = 43004  # the follower unfollowed the account
# A token this close to expiry is refreshed before use.
REFRESH_MARGIN = timedelta(seconds=300)
DEFAULT_API_BASE = "https://api.weixin.qq.com/cgi-bin/"
TIMEOUT_S = 10.0


class WeChatError(Exception):
    """A WeChat API call refused (errcode) or unreachable (errcode None)."""

    def __init__(self, errcode: int | None, errmsg: str = "") -> None:
        super().__init__(f"wechat errcode {errcode}: {errmsg}" if errcode is not None
                         else f"wechat unreachable: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


def stored_token(app_id: str, *, at: datetime | None = None,
                 url: str | None = None) -> str | None:
    """The shared token when it is good for a while yet."""
    moment = as_utc_naive(at)
    with unit_of_work(url) as uow:
        row = uow.wechat_tokens.by_app(app_id)
        if row is None or row.expires_at - REFRESH_MARGIN <= moment:
            return None
        return row.access_token


def store_token(app_id: str, token: str, expires_in: int, *, at: datetime | None = None,
                url: str | None = None) -> None:
    moment = as_utc_naive(at)
    for _ in range(2):  # two replicas inserting the first token at once: the loser updates
        with unit_of_work(url) as uow:
            row = uow.wechat_tokens.by_app(app_id)
            if row is None:
                row = uow.wechat_tokens.add(WeChatToken(app_id=app_id))
            row.access_token, row.fetched_at = token, moment
            row.expires_at = moment + timedelta(seconds=int(expires_in))
            try:
                uow.commit()
                return
            except IntegrityError:
                uow.rollback()


def forget_token(app_id: str, token: str, *, url: str | None = None) -> None:
    """WeChat refused `token`: drop it, unless another replica has already replaced it."""
    with unit_of_work(url) as uow:
        if uow.wechat_tokens.forget(app_id, token):
            uow.commit()


class SharedTokenClient(WeChatClient):
    """wechatpy's WeChatClient whose token is the store's, against `api_base` (WeChat's, or
    the local stand-in in tests)."""

    def __init__(self, app_id: str, secret: str, *, api_base: str = DEFAULT_API_BASE,
                 url: str | None = None, clock: Callable[[], datetime] | None = None,
                 timeout: float = TIMEOUT_S) -> None:
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base.rstrip("/") + "/"
        self._url = url
        self._clock = clock
        self.fetches = 0

    def _now(self) -> datetime:
        return as_utc_naive(self._clock() if self._clock else None)

    def fetch_access_token(self) -> dict:
        result = self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid,
                    "secret": self.secret})
        self.fetches += 1
        store_token(self.appid, result["access_token"], int(result.get("expires_in", 7200)),
                    at=self._now(), url=self._url)
        logger.info("wechat: a new access token was fetched for every replica")
        return result

    @property
    def access_token(self) -> str:
        token = stored_token(self.appid, at=self._now(), url=self._url)
        if token is None:
            self.fetch_access_token()
            token = stored_token(self.appid, at=self._now(), url=self._url)
        return token or ""

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        params = dict(kwargs.pop("params", None) or {})
        token = params.pop("access_token", None) or self.access_token
        try:
            return super()._request(method, url_or_endpoint,
                                    params={**params, "access_token": token}, **kwargs)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            logger.info("wechat: the access token was refused (%s); refreshed, retried once",
                        error.errcode)
        forget_token(self.appid, token, url=self._url)
        return super()._request(method, url_or_endpoint,
                                params={**params, "access_token": self.access_token}, **kwargs)


def call(make: Callable[[], Any]) -> Any:
    """Run one API call; wechatpy's and requests' errors become WeChatError."""
    import requests

    try:
        return make()
    except WeChatClientException as error:
        raise WeChatError(error.errcode, str(error.errmsg or "")) from error
    except requests.RequestException as error:
        raise WeChatError(None, type(error).__name__) from error


def client_from_settings(**kwargs: Any) -> SharedTokenClient | None:
    """The client for the configured account; None when WECHAT_APP_ID/SECRET are unset."""
    from bot.settings import get_settings

    settings = get_settings()
    if not settings.wechat_app_id or not settings.wechat_app_secret:
        return None
    return SharedTokenClient(settings.wechat_app_id, settings.wechat_app_secret,
                             api_base=settings.wechat_api_base, **kwargs)
