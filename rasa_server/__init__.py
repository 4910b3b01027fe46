"""Rasa-server plumbing: what runs inside or around the Rasa server, beside the channels."""
