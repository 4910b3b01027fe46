"""Helpers shared by the test rooms: an in-process ASGI client, the end-to-end server fixtures."""
