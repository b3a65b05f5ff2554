"""The small layer every app and interface builds on, above the pure ``domain``: roles and the
role sets that pages, the API and commands check, the caller type, refusals in the reader's
language, the business clock, the generic statement builder and the SMS port. It imports no
app (see docs/architecture.md)."""
