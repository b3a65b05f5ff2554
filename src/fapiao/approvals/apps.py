from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "fapiao.approvals"
    verbose_name = "开票申请"
