"""Rasa input/output channels: how customers reach the assistant (web chat, messengers, phone)."""
