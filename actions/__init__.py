"""Custom actions: thin adapters from Rasa's tracker to the core in bot/, one module a journey."""
