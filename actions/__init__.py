"""Custom actions: thin adapters from Rasa's tracker to the core in bot/, one module a journey."""
from bot.privacy import install_log_redaction, restrict_new_files

# The action server imports this package first: its files are private and its log lines
# (trackers, slot values) redacted before any handler writes them.
restrict_new_files()
install_log_redaction()
