"""Harvest (目录级联) records: the sources we pull catalogs from, every run's report, and which
catalog entries came from which source (those entries are read-only here)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db, str_enum, utcnow


class SourceKind(StrEnum):
    ckan = "ckan"
    dcat = "dcat"


class RunState(StrEnum):
    running = "running"
    finished = "finished"
    failed = "failed"



class HarvestSource(db.Model):
    """A remote catalog (CKAN Action API or DCAT document) harvested into ours."""

    __tablename__ = "harvest_sources"
    __table_args__ = (UniqueConstraint("kind", "url", "organization", name="kind_url_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SourceKind] = mapped_column(str_enum(SourceKind, "harvest_source_kind"))
    url: Mapped[str] = mapped_column(String(500))
    # CKAN sources may be limited to one organization; "" means the whole catalog (NULLs would
    # not take part in the unique constraint)
    organization: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    # scheduled harvests (run by the job queue's ``opendata.harvest`` job): every ``interval_minutes``
    # while enabled; None = harvested only on demand (``market harvest ckan|dcat``)
    interval_minutes: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    runs: Mapped[list[HarvestRun]] = relationship(back_populates="source", order_by="HarvestRun.id")

    @property
    def label(self) -> str:
        return self.title or self.url


class HarvestRun(db.Model):
    """One harvest of a source and its report."""

    __tablename__ = "harvest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id"), index=True)
    state: Mapped[RunState] = mapped_column(str_enum(RunState, "harvest_run_state"), default=RunState.running)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    # who started it: "cli" (market harvest …), "schedule" (the periodic job)
    trigger: Mapped[str] = mapped_column(String(20), default="cli")

    source: Mapped[HarvestSource] = relationship(back_populates="runs")


class HarvestedDataset(db.Model):
    """Links a catalog entry to the source record it was harvested from."""

    __tablename__ = "harvested_datasets"
    __table_args__ = (UniqueConstraint("source_id", "remote_id", name="source_remote"),)

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id"), index=True)
    remote_id: Mapped[str] = mapped_column(String(200))
    remote_url: Mapped[str | None] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(64))
    harvested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    source: Mapped[HarvestSource] = relationship(lazy="joined")


class ApplicantKind(StrEnum):
    enterprise = "enterprise"  # 企业: name + unified social credit code, verified by an operator
    citizen = "citizen"  # 个人: a declared real name, no operator verification (see docs/opendata.md)


class ApplicantStatus(StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class PublicApplicant(db.Model):
    """The identity a public (社会公众) account applies under for conditional-open data."""

    __tablename__ = "public_applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[ApplicantKind] = mapped_column(str_enum(ApplicantKind, "public_applicant_kind"))
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)  # 统一社会信用代码 (enterprises)
    status: Mapped[ApplicantStatus] = mapped_column(str_enum(ApplicantStatus, "public_applicant_status"),
                                                    default=ApplicantStatus.pending, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was rejected
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
