"""Chinese text analysis shared by every search backend (embedded tantivy and OpenSearch).

Text is segmented here, in Python, with rjieba plus a user dictionary of government terms
(``search/userdict.txt``: 营业执照, 不动产登记, 统一社会信用代码 …); the engines only split on
whitespace. Both backends therefore see exactly the same tokens, and neither needs a Chinese plugin.

Stable API:

``index_text(text) -> str``
    Space-joined, lowercased tokens to store in a whitespace-analysed field: the whole words of
    ``rjieba.cut`` plus the dictionary sub-words of ``cut_for_search`` (不动产登记 → 不动产登记 不动产
    不动 动产 登记), punctuation and stop words dropped.
``query_words(q, synonyms=None) -> list[list[str]]``
    One entry per whole word of the query (``rjieba.cut``), each a list of alternatives, every
    alternative a single index token: the word itself first, then its operator synonyms. A document
    matches a word when any alternative matches; a query should match every word (AND), with OR only
    as a fallback when AND finds nothing. An alternative made of latin letters (``is_latin``) should
    also be matched against the pinyin and initials fields (``renkou``, ``rk`` → 人口).
``subwords(word) -> list[str]``
    Dictionary sub-words of a long word; they may add score but should not be required.
``pinyin_full(title) -> str`` / ``pinyin_initials(title) -> str``
    Pinyin of every index token (``renkou jiben xinxi``; 人口普查 gives ``renkoupucha renkou
    pucha``) and per-word initials of the same tokens (``rk jb xx`` plus the whole title's ``rkjbxx``), for the
    title's pinyin fields.
``pinyin_key(word) -> str``
    Toneless pinyin of a word without spaces, for homophone typo correction ("did you mean").
``synonym_map(groups) -> dict[str, tuple[str, ...]]``
    A symmetric lookup from groups of equivalent terms (as stored in ``search_synonyms``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import rjieba
from pypinyin import lazy_pinyin

USER_DICT = Path(__file__).with_name("userdict.txt")
MAX_QUERY_WORDS = 10
# Function words that carry no meaning in a catalog title; requiring them (AND) would only lose hits.
STOP_WORDS = frozenset(["的", "和", "与", "及", "或", "等", "之", "了", "在", "对", "其", "并", "以及", "关于", "有关"])
_WORDLIKE = re.compile(r"\w")
_LATIN = re.compile(r"^[a-z]+$")
_CJK = re.compile(r"[\u3400-\u9fff]")

_lock = threading.Lock()
_jieba: rjieba.Jieba | None = None


def _segmenter() -> rjieba.Jieba:
    """A private jieba with the user dictionary, loaded once per process (≈0.15 s)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                jb = rjieba.Jieba()
                for line in USER_DICT.read_text(encoding="utf-8").splitlines():
                    parts = line.split("#", 1)[0].split()
                    if parts:
                        _add(jb, parts[0], int(parts[1]) if len(parts) > 1 else None)
                _jieba = jb
    return _jieba


def _add(jb: rjieba.Jieba, word: str, freq: int | None) -> None:
    # the frequency jieba itself suggests is enough to keep the word whole; never lower it
    jb.add_word(word, max(freq or 0, jb.suggest_freq(word), 10), None)


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter extra whole words (e.g. operator synonyms) for this process."""
    jb = _segmenter()
    with _lock:
        for word in words:
            word = word.strip()
            if word and not jb.has_word(word):
                _add(jb, word, None)


def _keep(token: str) -> bool:
    return token not in STOP_WORDS and (token.isalnum() or bool(_WORDLIKE.search(token)))


def words(text: str) -> list[str]:
    """Whole words of ``text`` (rjieba.cut), lowercased, without punctuation or stop words."""
    if not text:
        return []
    return [t for t in (w.strip().lower() for w in _segmenter().cut(text)) if t and _keep(t)]


def index_tokens(text: str) -> list[str]:
    """Tokens to index: whole words plus dictionary sub-words (cut_for_search)."""
    if not text:
        return []
    return list(_index_tokens(text))


@lru_cache(maxsize=65536)
def _index_tokens(text: str) -> tuple[str, ...]:
    # cached: department names, categories and summaries equal to the title repeat a lot
    return tuple(t for t in (w.strip().lower() for w in _segmenter().cut_for_search(text)) if t and _keep(t))


def index_text(text: str) -> str:
    """Space-joined index tokens of ``text`` for a whitespace-analysed field."""
    return " ".join(index_tokens(text))


@lru_cache(maxsize=65536)
def subwords(word: str) -> tuple[str, ...]:
    """Dictionary sub-words of ``word`` (不动产登记 → 不动产, 不动, 动产, 登记), without the word itself."""
    return tuple(t for t in dict.fromkeys(index_tokens(word)) if t != word)


def is_latin(word: str) -> bool:
    """True for a word of latin letters only: it may be pinyin or its initials."""
    return bool(_LATIN.match(word))


def synonym_map(groups: Iterable[Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Symmetric lookup ``term -> other terms`` from groups of equivalent terms."""
    merged: dict[str, set[str]] = {}
    for group in groups:
        terms = {t.strip().lower() for t in group if t and t.strip()}
        union = set(terms)
        for t in terms:
            union |= merged.get(t, set())
        for t in union:
            merged[t] = union
    return {t: tuple(sorted(others - {t})) for t, others in merged.items() if len(others) > 1}


def query_words(q: str, synonyms: Mapping[str, Sequence[str]] | None = None) -> list[list[str]]:
    """Per whole word of ``q``, its alternatives: the word first, then its synonyms."""
    out: list[list[str]] = []
    seen: set[str] = set()
    for word in words(q):
        if word in seen:
            continue
        seen.add(word)
        alternatives = [word]
        for syn in (synonyms or {}).get(word, ()):
            # a multi-word synonym is kept only as the whole word the user dictionary knows
            if syn not in alternatives:
                alternatives.append(syn)
        out.append(alternatives)
        if len(out) == MAX_QUERY_WORDS:
            break
    return out


@lru_cache(maxsize=131072)
def _word_pinyin(word: str) -> tuple[str, str]:
    syllables = [s.strip().lower() for s in lazy_pinyin(word) if s.strip()]
    # initials only for Chinese words: "gdp" must not become the initial "g"
    letters = [s[0] for s in syllables if s[0].isascii() and s[0].isalpha()] if _CJK.search(word) else []
    return "".join(s for s in syllables if s.isascii()), "".join(letters)


def pinyin_key(word: str) -> str:
    """Toneless pinyin of ``word`` without spaces (人口 → renkou)."""
    return _word_pinyin(word)[0]


def pinyin_full(title: str) -> str:
    """Pinyin of each word and sub-word of a title (人口普查 → renkoupucha renkou pucha)."""
    keys = [_word_pinyin(w)[0] for w in _index_tokens(title)] if title else []
    return " ".join(dict.fromkeys(k for k in keys if k))


def pinyin_initials(title: str) -> str:
    """Initials of each word and sub-word plus the whole title's (人口基本信息 → rk jb xx rkjbxx)."""
    whole = "".join(_word_pinyin(w)[1] for w in words(title))
    parts = [p for p in (_word_pinyin(w)[1] for w in _index_tokens(title)) if p] if title else []
    return " ".join(dict.fromkeys([*parts, whole] if whole else parts))
