"""Browser tests: the pages customers and agents use, in headless Chromium."""
