"""Fapiao: a self-hosted Chinese VAT invoicing system (开票系统)."""

__version__ = "0.1.0"
