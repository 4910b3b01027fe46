"""Rasa's logistic regression intent classifier, with its regularisation strength configurable."""
from __future__ import annotations

from typing import Any, Dict

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TunedLogisticRegression(LogisticRegressionClassifier):
    """Rasa's classifier fixes C at scikit-learn's 1.0, right for raw counts; unit-length TF-IDF
    vectors (components.featurizer) need a weaker penalty to separate short replies."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self,
        config: Dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if float(config.get("C", 1.0)) <= 0:
            raise ValueError(f"C must be positive, not {config.get('C')}")
