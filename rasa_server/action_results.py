"""Checks the action server's answers against Rasa's schema with a validator built once.

Rasa 3.6 validates every custom action's answer with `jsonschema.validate(result, schema)`,
which first checks Rasa's own (large) events schema against the JSON Schema meta-schema, on
every call: about 100-200 ms of CPU per action call on a 2-core machine, with two to three
calls per turn the largest part of a turn (benchmarks/bench.py measures it). The same schema
checked once and a validator kept for it give the same verdicts and the same error message in a
few milliseconds. rasa_server/patches.py puts `cached_validation()` in Rasa's place.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict

logger = logging.getLogger(__name__)


def cached_validation() -> Callable[[Any, Dict[str, Any]], bool]:
    """A drop-in for RemoteAction._validate_action_result with the schema checked once."""
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

    logger.debug("action server answers are validated with a cached %s",
                 validator_class.__name__)
    return validate_action_result
