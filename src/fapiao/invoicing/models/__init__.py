"""Persistence of taxpayers, channels, invoices and the hash-chained event log, one module per
concern. Rows are written only by the services; nothing here holds business rules beyond
constraints."""

from fapiao.invoicing.models.catalogs import Customer, InvoiceTemplate, Product
from fapiao.invoicing.models.fields import MONEY, PRICE, new_secret
from fapiao.invoicing.models.invoices import (
    Event,
    Invoice,
    InvoiceLine,
    RedForm,
    RedFormStatus,
    Upload,
    UploadLease,
)
from fapiao.invoicing.models.people import Invitation, Membership
from fapiao.invoicing.models.summaries import DaySum, LineSum
from fapiao.invoicing.models.taxpayers import (
    Channel,
    Counter,
    CreditUse,
    DigitalBlock,
    Monitoring,
    SigningKey,
    StockSegment,
    Taxpayer,
)

__all__ = [
    "MONEY",
    "PRICE",
    "Channel",
    "Counter",
    "CreditUse",
    "Customer",
    "DaySum",
    "DigitalBlock",
    "Event",
    "Invitation",
    "Invoice",
    "InvoiceLine",
    "InvoiceTemplate",
    "LineSum",
    "Membership",
    "Monitoring",
    "Product",
    "RedForm",
    "RedFormStatus",
    "SigningKey",
    "StockSegment",
    "Taxpayer",
    "Upload",
    "UploadLease",
    "new_secret",
]  # fmt: skip
