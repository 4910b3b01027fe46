"""Checks the action server's answers against Rasa's schema with a validator built once.

Rasa 3.6 validates every custom action's answer with `jsonschema.validate(result, schema)`,
which first checks Rasa's own (large) events schema against the JSON Schema meta-schema, on
every call: about 100-200 ms of CPU per action call on a 2-core machine, with two to three
calls per turn the largest part of a turn (benchmarks/bench.py measures it). The same schema
checked once and a validator kept for it give the same verdicts and the same error message in a
few milliseconds.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict

logger = logging.getLogger(__name__)

_installed = False
_lock = threading.Lock()


def install_cached_validation() -> None:
    """Replaces RemoteAction._validate_action_result once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from jsonschema import ValidationError, validators
        from rasa.core.actions.action import RemoteAction
        from rasa.shared.constants import DOCS_BASE_URL

        schema = RemoteAction.action_response_format_spec()
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)  # once, instead of on every action call
        validator = validator_class(schema)

        def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
            try:
                validator.validate(result)
                return True
            except ValidationError as error:  # the message Rasa's own check gives
                error.message += (
                    f". Failed to validate Action server response from API, "
                    f"make sure your response from the Action endpoint is valid. "
                    f"For more information about the format visit "
                    f"{DOCS_BASE_URL}/custom-actions"
                )
                raise error

        validate_action_result.__wrapped__ = RemoteAction._validate_action_result  # type: ignore
        RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
        _installed = True
        logger.debug("action server answers are validated with a cached %s",
                     validator_class.__name__)
