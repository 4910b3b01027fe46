"""Core of the claims assistant: claims, store, identity, languages. Imports nothing from Rasa."""
