"""Durable background jobs: a row per job, written in the transaction that asks for it, so a
rolled-back request leaves no job and a restarted worker loses none. The task engine
(django-q2) runs them; the row is what the pages show and what makes a run happen once."""

from __future__ import annotations

from django.db import models


class JobStatus(models.TextChoices):
    PENDING = "pending", "等待"  # for its time (run_at): the sweep hands it to the engine then
    QUEUED = "queued", "排队"  # in the task engine's queue
    RUNNING = "running", "执行中"
    DONE = "done", "完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    run_at = models.DateTimeField()
    # queued or running: by then it has started or finished, or it was lost (a broker without
    # acknowledgement, a killed worker) and the sweep hands it to the engine again
    locked_until = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    # whose work it is (a taxpayer's id: the pages show a job only to its own taxpayer), how far
    # it is, and what it found
    taxpayer_id = models.BigIntegerField(null=True, db_index=True)
    progress = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    result = models.JSONField(null=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_at"])]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"
