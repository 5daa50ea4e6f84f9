"""The server-rendered pages: Jinja2 templates, HTMX from /static, gettext catalogs (zh, en)."""
