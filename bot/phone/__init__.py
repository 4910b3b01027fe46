"""A phone call's audio as a live stream (Twilio Media Streams): the 8 kHz mu-law frame codec
(codec.py), the end of a caller's turn and barge-in found by local voice-activity detection
(turns.py), and replies spoken here as short parts of mu-law audio (speaking.py).
channels/twilio_voice_stream.py is the WebSocket that uses them."""
