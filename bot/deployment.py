"""What a production start needs before it may serve anyone: the insurer's own phone lines, the
secret that keeps the action server to Rasa alone and the keys every replica must share.

`CLAIMS_ENV=production` turns the checks on; every server that starts (the launcher, the action
server, each Rasa replica through its tracker store) calls `require_production_ready()` and
refuses to run with a message naming what is missing. A demo start (any other CLAIMS_ENV) runs
with the fictional hotline, which replies label as a demo number.
"""
from __future__ import annotations

from typing import List

from bot.privacy import ID_HASH_KEY_ENV
from bot.settings import DEMO_HOTLINE, Settings, get_settings
from bot.webchat_session import SESSION_KEY_ENV

PRODUCTION = "production"
# secrets.token_urlsafe(32) gives 43 characters; anything shorter than this is guessable in
# principle or a placeholder ("changeme").
MIN_SECRET_CHARS = 32


class ProductionConfigError(RuntimeError):
    """A production start without what production needs; the message says what to set."""


def is_production(settings: Settings) -> bool:
    return settings.environment == PRODUCTION


def production_problems(settings: Settings) -> List[str]:
    """What a production start lacks, one line each (empty outside production)."""
    if not is_production(settings):
        return []
    problems = []
    if not settings.hotline or settings.hotline == DEMO_HOTLINE:
        problems.append(
            "CLAIMS_HOTLINE is not set: replies would send customers to the demo number "
            f"{DEMO_HOTLINE}. Set it to the insurer's own customer-service line. / "
            "未设置 CLAIMS_HOTLINE(客服热线),请填写本公司的客服电话。")
    if not settings.agents_phone:
        problems.append(
            "CLAIMS_AGENTS_PHONE is not set: calls handed to a person would have nowhere to "
            "go. Set it to the insurer's agents' line. / "
            "未设置 CLAIMS_AGENTS_PHONE(人工坐席电话)。")
    if len(settings.action_server_token) < MIN_SECRET_CHARS:
        problems.append(
            "CLAIMS_ACTION_SERVER_TOKEN is not set (or shorter than "
            f"{MIN_SECRET_CHARS} characters): the action server would accept anyone. Set the "
            "same random secret for Rasa and the action server, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`. / "
            "未设置动作服务器共享密钥 CLAIMS_ACTION_SERVER_TOKEN(至少 32 个字符)。")
    if not settings.id_hash_key_configured:
        problems.append(
            f"{ID_HASH_KEY_ENV} is not set: ID numbers are matched by an HMAC under this key, "
            "which every replica and `python -m bot seed` must share (see docs/security.md). / "
            f"未设置身份证号哈希密钥 {ID_HASH_KEY_ENV}。")
    if not settings.webchat_session_key_configured:
        problems.append(
            f"{SESSION_KEY_ENV} is not set: web chat sessions are signed with this key, which "
            "every Rasa replica must share (see docs/security.md). / "
            f"未设置网页聊天会话密钥 {SESSION_KEY_ENV}。")
    if settings.clock_shift_seconds:
        problems.append(
            "CLAIMS_CLOCK_SHIFT is set: it moves the servers' clock, for demos and tests only. "
            "Unset it. / 生产环境不能设置 CLAIMS_CLOCK_SHIFT(仅供演示和测试调整时钟)。")
    return problems


def require_production_ready(settings: Settings | None = None) -> None:
    """Raises ProductionConfigError listing every problem; nothing outside production."""
    problems = production_problems(settings or get_settings())
    if problems:
        raise ProductionConfigError(
            "Refusing to start in production (CLAIMS_ENV=production):\n- "
            + "\n- ".join(problems))
