"""Search synonyms and the government term dictionary (政务术语) as rule sets of the library.

Synonyms are ``search.synonyms`` pairs (they expand queries at once); dictionary terms are taught to the
search segmenter (``search.analysis.add_words``) so they stay whole words in queries and newly indexed text.
Each process re-reads the dictionary at most every ``REFRESH_SECONDS``; a change made here applies at once.
"""

from __future__ import annotations

import threading
import time

from flask_babel import gettext as _
from sqlalchemy import or_, select

from market.db import db
from market.errors import NotFound, ValidationFailed
from search import analysis
from search.models import SearchSynonym
from search.synonyms import SynonymError, add_synonym, remove_synonym

from .models import GovTerm
from .services import like_pattern, paged, record_change, save_versioned

REFRESH_SECONDS = 60.0
MAX_TERMS_LOADED = 20000
PER_PAGE = 50
_state = {"at": -1e9}
_lock = threading.Lock()
TERM_LIMITS = {"term": 100, "abbreviation": 100, "english": 200, "definition": 2000, "source": 200}


# --- synonyms --------------------------------------------------------------------------------------------
def synonym_page(q: str = "", page: int = 1) -> tuple[list[SearchSynonym], int]:
    stmt = select(SearchSynonym).order_by(SearchSynonym.term, SearchSynonym.synonym)
    if q:
        pat = like_pattern(q.strip().lower()[:100])
        stmt = stmt.where(or_(SearchSynonym.term.like(pat, escape="\\"), SearchSynonym.synonym.like(pat, escape="\\")))
    return paged(stmt, page, PER_PAGE)


def add_pair(term: str, synonym: str, *, actor, reason: str) -> SearchSynonym:
    try:
        existing = _existing_pair(term, synonym)
        row = add_synonym(term, synonym, actor=actor)
    except SynonymError as exc:
        raise ValidationFailed(_("同义词有误：%(e)s", e=exc), fields={"synonym": [str(exc)]}) from None
    if existing is None:
        record_change("synonyms", f"{row.term}⇄{row.synonym}", "created", None,
                      {"term": row.term, "synonym": row.synonym}, actor=actor, reason=reason)
    return row


def _existing_pair(term: str, synonym: str):
    a, b = (" ".join((term or "").split()).lower(), " ".join((synonym or "").split()).lower())
    a, b = (a, b) if a < b else (b, a)
    return db.session.scalar(select(SearchSynonym).where(SearchSynonym.term == a, SearchSynonym.synonym == b))


def remove_pair(pair_id: int, *, actor, reason: str) -> None:
    row = db.session.get(SearchSynonym, pair_id)
    if row is None:
        raise NotFound(_("没有编号为 %(id)s 的同义词。", id=pair_id))
    before = {"term": row.term, "synonym": row.synonym}
    record_change("synonyms", f"{row.term}⇄{row.synonym}", "deleted", before, None, actor=actor, reason=reason)
    remove_synonym(row.term, row.synonym, actor=actor)


# --- government terms ------------------------------------------------------------------------------------
def term_json(t: GovTerm | None):
    if t is None:
        return None
    return {k: getattr(t, k) for k in TERM_LIMITS}


def clean_term(data) -> dict:
    """Validated term fields (messages per field), whitespace collapsed."""
    out, errors = {}, {}
    for key, limit in TERM_LIMITS.items():
        value = (data.get(key) or "").strip()
        if key != "definition":
            value = " ".join(value.split())
        if len(value) > limit:
            errors[key] = [_("最多 %(n)s 个字符", n=limit)]
        out[key] = value
    if not out["term"]:
        errors["term"] = [_("请填写术语")]
    elif " " in out["term"] and any("\u3400" <= c <= "\u9fff" for c in out["term"]):
        errors["term"] = [_("中文术语中不能有空格")]
    if errors:
        raise ValidationFailed(_("术语有误：%(e)s", e="；".join(v[0] for v in errors.values())), fields=errors)
    return out


def save_term(term: GovTerm | None, data, *, actor, reason: str) -> GovTerm:
    term = save_versioned(GovTerm, term, clean_term(data), rule_set="terms", unique="term", to_json=term_json,
                          actor=actor, reason=reason, taken=_("术语“%(v)s”已在词典中。", v="{value}"))
    teach([term.term])
    return term


def delete_term(term: GovTerm, *, actor, reason: str) -> None:
    record_change("terms", term.term, "deleted", term_json(term), None, actor=actor, reason=reason)
    db.session.delete(term)
    db.session.flush()


def term_page(q: str = "", page: int = 1) -> tuple[list[GovTerm], int]:
    stmt = select(GovTerm).order_by(GovTerm.term)
    if q:
        pat = like_pattern(q.strip()[:100])
        stmt = stmt.where(or_(GovTerm.term.ilike(pat, escape="\\"), GovTerm.abbreviation.ilike(pat, escape="\\"),
                              GovTerm.english.ilike(pat, escape="\\")))
    return paged(stmt, page, PER_PAGE)


def teach(words) -> None:
    words = [w for w in words if w]
    if words:  # do not load the segmenter for nothing
        analysis.add_words(words)


def refresh_segmenter(force: bool = False) -> None:
    """Teach this process's segmenter the dictionary (at most every REFRESH_SECONDS; one small query)."""
    now = time.monotonic()
    if not force and now - _state["at"] < REFRESH_SECONDS:
        return
    with _lock:
        if not force and now - _state["at"] < REFRESH_SECONDS:
            return
        _state["at"] = now
    teach(db.session.scalars(select(GovTerm.term).limit(MAX_TERMS_LOADED)))
