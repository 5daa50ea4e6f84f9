"""Entry points: the command line (and later the API and web). May import everything below."""
