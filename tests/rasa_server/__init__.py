"""Tests of the Rasa-server plumbing (rasa_server/): launcher, stores, locks, guard, patches."""
