"""Every state change is one audit or history event: this walks every public function of every
app's modules that writes to the database and fails for one that writes no event (itself, or
through a helper of its module), unless it is named below with why its writes are not a change
anybody must answer for (bookkeeping of the machinery, or parts of a service that writes the
event). A new service that writes must either record what it did or be argued for here."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

APPS = ("invoicing", "closing", "documents", "support", "risk", "notices", "security", "backups",
        "archiving", "authority", "api", "reports", "jobs", "batches", "approvals", "orders",
        "receiving")  # fmt: skip
#: modules that are not services: persistence, reads, wiring, the demo
NOT_SERVICES = re.compile(r"\.(models|selectors|apps|migrations)(\.|$)|\.demo")
WRITES = re.compile(
    r"\.(save|create|update|delete|bulk_create|bulk_update|update_or_create|get_or_create)\("
    r"|fastsql\.(insert|update|update_many|execute)\("
)
RECORDS = re.compile(r"\b(audit_append|event_append|events_append)\(")

#: what writes without an event of its own, and why that is right
NO_EVENT = {
    "fapiao.invoicing.anchoring.anchor_send": "when the heads last reached the authority (存证 "
    "is kept and signed by the authority itself)",
    "fapiao.invoicing.catalog_files.catalog_export": "a read: the file it writes is audited as an "
    "export by the page and command that ask for it",
    "fapiao.invoicing.keys.key_create": "part of taxpayer_create, whose event names the key",
    "fapiao.invoicing.staging.lines_write_early": "part of issuing, whose event store_staged "
    "writes",
    "fapiao.invoicing.staging.restage": "part of issuing, whose event store_staged writes",
    "fapiao.invoicing.uploads.uploads_enqueue": "the outbox rows of the events just appended",
    "fapiao.invoicing.bulk.invoices_issue_many": "each invoice's issue event is appended by "
    "staging.store_many; the batch records its own",
    "fapiao.closing.certificate.certificate_pdf": "a document drawn in memory",
    "fapiao.closing.reminders.reminders_send": "the reminder row is the record of the reminder, "
    "and each notice it gives is kept in the notification centre",
    "fapiao.documents.delivery.qr_png": "a picture drawn in memory",
    "fapiao.documents.exports.invoices_xlsx": "a workbook drawn in memory (the export is "
    "audited by its caller)",
    "fapiao.documents.ofd_font.font_subset": "a font drawn in memory",
    "fapiao.documents.ofd_parts.qr_png": "a picture drawn in memory",
    "fapiao.documents.pdf.render_pdf": "a document drawn in memory",
    "fapiao.documents.services.document_preview": "the rendering cache",
    "fapiao.risk.services.risk_evaluate": "the round's time; each alert it raises is audited "
    "by alert_raise",
    "fapiao.notices.services.notice_send": "the notice is itself the record (who, when, what, "
    "each delivery's outcome)",
    "fapiao.notices.services.notices_read": "the reader's own read marks",
    "fapiao.security.preferences.preferences_of": "the profile row made on first use",
    "fapiao.security.twofactor.enrol_begin": "an unconfirmed authenticator; enrol_confirm "
    "audits the one that is kept",
    "fapiao.backups.services.backup_verify": "a scratch database, dropped after the check",
    "fapiao.backups.snapshot.file_sha256": "a digest of a file",
    "fapiao.api.v1.catalogs.catalog_remove": "the endpoint of catalog_delete, which writes the "
    "event",
    "fapiao.batches.files.annotated": "a file drawn in memory (its download is audited by "
    "the caller)",
    "fapiao.batches.files.template": "a workbook drawn in memory",
    "fapiao.reports.exports.report_xlsx": "a workbook drawn in memory (audited by its caller)",
    "fapiao.reports.mailing.monthly_mails": "the mailing's own bookkeeping; each report sent is "
    "an e-mail job",
    # the authority's side is another party: its registry, receipts, grants, reviews and risk
    # events are its own records of what it was asked and answered
    "fapiao.authority.anchors.anchors_receive": "the authority's own record",
    "fapiao.authority.grants.grant_stock": "the authority's own record",
    "fapiao.authority.grants.set_credit": "the authority's own record",
    "fapiao.authority.numbers.digital_numbers_grant": "the authority's own record",
    "fapiao.authority.reviews.clearing_decide": "the authority's own record",
    "fapiao.authority.reviews.clearing_submit": "the authority's own record",
    "fapiao.authority.reviews.file_period": "the authority's own record",
    "fapiao.authority.services.registered": "the authority's own record",
    "fapiao.authority.services.risk_add": "the authority's own record",
    # the task engine: job rows are the record of background work
    "fapiao.jobs.services.job_enqueue": "a job row",
    "fapiao.jobs.services.job_progress": "a job row",
    "fapiao.jobs.services.job_run": "a job row",
    "fapiao.jobs.services.jobs_sweep": "a job row",
    "fapiao.jobs.services.worker_start": "a job row",
}  # fmt: skip


def _modules() -> list[ModuleType]:
    found = []
    for app in APPS:
        package = importlib.import_module(f"fapiao.{app}")
        for info in pkgutil.walk_packages(package.__path__, f"fapiao.{app}."):
            if not NOT_SERVICES.search(info.name):
                found.append(importlib.import_module(info.name))
    return found


def _records(module: ModuleType, source: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``source`` records an event itself or through a helper of its module."""
    if RECORDS.search(source):
        return True
    for name in set(re.findall(r"\b(_\w+)\(", source)) - seen:
        helper = getattr(module, name, None)
        local = inspect.isfunction(helper) and helper.__module__ == module.__name__
        if local and _records(module, inspect.getsource(helper), seen | {name}):
            return True
    return False


@functools.cache
def _writers() -> dict[str, bool]:
    """Every public function of the apps' service modules that writes: whether it records."""
    found = {}
    for module in _modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            source = inspect.getsource(function)
            if WRITES.search(source):
                found[f"{module.__name__}.{name}"] = _records(module, source)
    return found


def test_every_service_that_writes_records_an_event() -> None:
    writers = _writers()
    assert len(writers) > 80  # the walk found the services
    silent = sorted(name for name, records in writers.items() if not records)
    assert [name for name in silent if name not in NO_EVENT] == []


@pytest.mark.parametrize("name", sorted(NO_EVENT))
def test_every_exception_still_exists_and_still_writes_without_an_event(name: str) -> None:
    # an exception that no longer applies is taken out, so the list stays an argument
    assert _writers().get(name) is False, f"{name}: remove it from NO_EVENT"
