"""Rasa NLU graph components of the claims assistant: thin wrappers over bot.language."""
