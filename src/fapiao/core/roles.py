"""Roles a user holds at a taxpayer (SPEC "People and roles") and the sets that pages, the API
and commands allow, in one place."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "管理员"
    ISSUER = "issuer", "开票员"
    FINANCE = "finance", "财务"
    AUDITOR = "auditor", "审计员"
    CLAIMANT = "claimant", "报销人"
    AUTHORITY = "authority", "税务机关"
    SUPPORT = "support", "客服"
    SUPPORT_LEAD = "support_lead", "客服主管"


#: who may read a taxpayer's invoices and records
READ = frozenset({Role.ADMIN, Role.ISSUER, Role.FINANCE, Role.AUDITOR})
#: who may issue, void, red-letter, deliver and keep the catalogs
ISSUE = frozenset({Role.ADMIN, Role.ISSUER})
#: who may change the enterprise's settings, users and keys
SETUP = frozenset({Role.ADMIN})
#: who may run the period close (抄报, 申报, 清卡)
CLOSE = frozenset({Role.ADMIN, Role.FINANCE})
#: who may see the period close and the uploads (the auditor reads them)
OVERSEE = frozenset({Role.ADMIN, Role.FINANCE, Role.AUDITOR})
#: who may read the audit log
AUDIT = frozenset({Role.ADMIN, Role.AUDITOR})
#: who may receive invoices (进项) and claim them
RECEIVE = frozenset({Role.ADMIN, Role.ISSUER, Role.FINANCE, Role.CLAIMANT})
#: who reads every received invoice and claim, decides claims and selects deductions
ACCOUNT = frozenset({Role.ADMIN, Role.FINANCE})
#: the roles that belong to no taxpayer: the authority's and support's (a user holds one at most)
OUTSIDE = frozenset({Role.AUTHORITY, Role.SUPPORT, Role.SUPPORT_LEAD})
#: who answers tickets and edits the help centre (the lead also edits the routing rules)
SUPPORT = frozenset({Role.SUPPORT, Role.SUPPORT_LEAD})
#: the roles held at a taxpayer
TAXPAYER_ROLES = tuple(role for role in Role if role not in OUTSIDE)
