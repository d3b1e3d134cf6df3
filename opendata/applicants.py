"""Public applicants (社会公众申请人): enterprises and citizens apply for conditional-open (有条件开放)
entries through the cart and approval flow.

- An enterprise registers its name and unified social credit code (统一社会信用代码, GB 32100-2015:
  18 characters, check digit verified here); an operator verifies it or rejects it with a reason.
  Only verified enterprises may check out.
- A citizen applies as an individual under a declared real name. There is no identity service to check
  it against, so it is not queued for an operator: it is usable at once, and the approving officer sees
  the name next to the request and decides (as for any application).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from audit.services import record_event
from market.db import db, utcnow
from market.errors import Forbidden, NotFound, ValidationFailed

from .models import ApplicantKind, ApplicantStatus, PublicApplicant

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MAX_NAME, MAX_REASON = 200, 500


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code for its first 17 (GB 32100-2015)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or None."""
    if len(code) != 18:
        return _("统一社会信用代码应为 18 位（现为 %(n)s 位）。", n=len(code))
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        return _("统一社会信用代码只含数字和大写字母（不含 I、O、Z、S、V），不能含：%(c)s。", c="".join(bad))
    if not code[2:8].isdigit():
        return _("统一社会信用代码第 3–8 位应为登记管理机关行政区划码（6 位数字）。")
    if uscc_check_char(code[:17]) != code[17]:
        return _("统一社会信用代码校验位不对，请核对营业执照上的代码是否抄错。")
    return None


def applicant_of(user) -> PublicApplicant | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(PublicApplicant).where(PublicApplicant.user_id == user.id))


def _operators():
    from market.auth.models import Role, User

    return list(db.session.scalars(select(User).where(User.role == Role.operator, User.active.is_(True))))


def submit_identity(user, *, kind: str, name: str, uscc: str = "") -> PublicApplicant:
    """Register or change the caller's applicant identity (in the caller's transaction)."""
    from market.auth.models import Role
    from notify.services import notify

    if getattr(user, "role", None) != Role.public:
        raise Forbidden(_("只有社会公众账号（企业、个人）需要登记申请身份。"))
    name = " ".join((name or "").split())
    uscc = (uscc or "").strip().upper()
    problems: dict[str, str] = {}
    if kind not in {k.value for k in ApplicantKind}:
        problems["kind"] = _("请选择企业或个人。")
    if not 2 <= len(name) <= MAX_NAME:
        problems["name"] = _("请填写 2–%(n)s 个字的名称（企业填营业执照上的全称，个人填真实姓名）。", n=MAX_NAME)
    if kind == ApplicantKind.enterprise.value:
        problem = uscc_problem(uscc) if uscc else _("请填写统一社会信用代码。")
        if problem:
            problems["uscc"] = problem
        elif db.session.scalar(select(PublicApplicant.id).where(
                PublicApplicant.uscc == uscc, PublicApplicant.user_id != user.id,
                PublicApplicant.status != ApplicantStatus.rejected)) is not None:
            problems["uscc"] = _("该统一社会信用代码已被其他账号登记；如有疑问请联系平台运营方。")
    if problems:
        raise ValidationFailed(" ".join(problems.values()), fields={k: [v] for k, v in problems.items()})
    applicant = applicant_of(user)
    if applicant is None:
        applicant = PublicApplicant(user_id=user.id)
        db.session.add(applicant)
    enterprise = kind == ApplicantKind.enterprise.value
    unchanged = (applicant.kind == kind and applicant.name == name and (applicant.uscc or "") == uscc
                 and applicant.status == ApplicantStatus.verified)
    applicant.kind, applicant.name, applicant.uscc = ApplicantKind(kind), name, uscc if enterprise else None
    if not unchanged:
        applicant.submitted_at, applicant.reason = utcnow(), ""
        applicant.status = ApplicantStatus.pending if enterprise else ApplicantStatus.verified
        applicant.decided_at = None if enterprise else utcnow()
        applicant.decided_by_id = None
    db.session.flush()
    record_event("applicant.submitted", "public_applicant", applicant.id, actor=user,
                 payload={"kind": kind, "name": name, "uscc": applicant.uscc, "status": applicant.status.value})
    if enterprise and applicant.status == ApplicantStatus.pending:
        notify(_operators(), "applicant.pending", _("企业身份待核验：%(n)s", n=name),
               _("统一社会信用代码 %(c)s，请在“企业身份核验”页面核验。", c=uscc), link="/applicants")
    return applicant


def decide(applicant_id: int, *, verified: bool, reason: str = "", actor) -> PublicApplicant:
    """An operator verifies an enterprise identity, or rejects it with a reason."""
    from notify.services import notify

    applicant = db.session.get(PublicApplicant, applicant_id)
    if applicant is None or applicant.kind != ApplicantKind.enterprise:
        raise NotFound(_("没有找到编号为 %(id)s 的企业身份。", id=applicant_id))
    reason = " ".join((reason or "").split())[:MAX_REASON]
    if not verified and len(reason) < 2:
        raise ValidationFailed(_("驳回时请写明原因，申请人会看到它并据此更正。"), fields={"reason": ["required"]})
    applicant.status = ApplicantStatus.verified if verified else ApplicantStatus.rejected
    applicant.reason = "" if verified else reason
    applicant.decided_at, applicant.decided_by_id = utcnow(), actor.id
    record_event("applicant.verified" if verified else "applicant.rejected", "public_applicant", applicant.id,
                 actor=actor, payload={"name": applicant.name, "uscc": applicant.uscc, "reason": applicant.reason})
    if verified:
        notify([applicant.user], "applicant.verified", _("企业身份已核验：%(n)s", n=applicant.name),
               _("现在可以申请有条件开放的数据了。"), link="/account/applicant")
    else:
        notify([applicant.user], "applicant.rejected", _("企业身份未通过核验：%(n)s", n=applicant.name),
               _("原因：%(r)s。请更正后重新提交。", r=reason), link="/account/applicant")
    db.session.flush()
    return applicant


def applicant_problem(user) -> str | None:
    """Why a public account cannot check out its cart yet, or None (orders calls this at checkout)."""
    applicant = applicant_of(user)
    if applicant is None:
        return _("提交申请前，请先在“申请身份”页面（/account/applicant）登记企业（名称和统一社会信用代码）或个人身份。")
    if applicant.status == ApplicantStatus.pending:
        return _("您的企业身份“%(n)s”正在等待平台核验，核验通过后才能提交申请。", n=applicant.name)
    if applicant.status == ApplicantStatus.rejected:
        return _("您的企业身份“%(n)s”未通过核验（原因：%(r)s），请在“申请身份”页面更正后重新提交。",
                 n=applicant.name, r=applicant.reason or "—")
    return None


def require_verified_applicant(user) -> None:
    problem = applicant_problem(user)
    if problem:
        raise Forbidden(problem, code="applicant_not_verified")


def applicant_for_request(req) -> PublicApplicant | None:
    """The public applicant behind an access request (for the request page's panel), or None."""
    from market.auth.models import Role

    requester = getattr(req, "requester", None)
    if requester is None or requester.role != Role.public:
        return None
    return db.session.scalar(select(PublicApplicant).where(PublicApplicant.user_id == requester.id))
