"""Tests of the server launcher (rasa_server/launcher.py)."""
