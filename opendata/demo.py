"""Demo city: the public accounts' applicant identities — ``enterprise`` a verified enterprise (so it
can apply for conditional-open data at once), ``citizen`` an individual."""

from __future__ import annotations

from sqlalchemy import select

from market.db import db, utcnow

from .applicants import uscc_check_char
from .models import ApplicantKind, ApplicantStatus, PublicApplicant

ENTERPRISE_USCC_BODY = "91320214MA1X7H3Q5"  # 新吴区 (320214); the check character is computed


def seed_demo_extra(result) -> str:
    from market.auth.models import User

    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(("enterprise", "citizen", "operator"))))}
    operator = users.get("operator")
    made = []
    if "enterprise" in users:
        made.append(_identity(users["enterprise"], ApplicantKind.enterprise, "无锡华瑞物联网科技有限公司",
                              ENTERPRISE_USCC_BODY + uscc_check_char(ENTERPRISE_USCC_BODY), operator))
    if "citizen" in users:
        made.append(_identity(users["citizen"], ApplicantKind.citizen, "李静", None, None))
    db.session.commit()
    return f"{len(made)} public applicant identities (enterprise verified, citizen registered)"


def _identity(user, kind, name, uscc, operator) -> PublicApplicant:
    applicant = db.session.scalar(select(PublicApplicant).where(PublicApplicant.user_id == user.id))
    if applicant is None:
        applicant = PublicApplicant(user_id=user.id)
        db.session.add(applicant)
    applicant.kind, applicant.name, applicant.uscc = kind, name, uscc
    applicant.status, applicant.reason, applicant.decided_at = ApplicantStatus.verified, "", utcnow()
    applicant.decided_by_id = operator.id if operator is not None else None
    return applicant
