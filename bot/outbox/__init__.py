"""The outbox: every message to a customer outside their turn, in the `notifications` table.

notices: what is queued (stage notices, other messages) and reading it back; delivery: push
through the senders and pull by the web chat; senders: the registry of channel senders;
satisfaction: the closing question and its score."""
