"""Channel tests: each channel driven in-process, with stand-ins for Rasa and the outside world."""
