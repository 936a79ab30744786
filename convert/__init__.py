"""newsconv: scraped front-matter HTML posts to clean Markdown, EPUB and JSON."""

__version__ = "0.1.0"
