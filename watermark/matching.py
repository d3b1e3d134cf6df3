"""Match a suspected copy to an entry's stored rows and score every grant of the entry (pure: no database).

1. The copy's cells are normalised (numbers by value, dates as ISO dates) and indexed by value.
2. The entry's stored rows are streamed once: per column we keep which of the copy's values occur in it,
   and we keep the stored rows whose key (or, without a key, most of whose values) occur in the copy.
3. Columns of the copy are mapped to the entry's columns by header names when the first row is a header,
   else by content (the share of a copy column's values found in an entry column).
4. Per grant, rows are paired with their originals by the grant's row identity; in every paired row the
   grant's scheme predicts one marked cell or none. ``k`` of ``n`` predicted marks are found. Under the
   hypothesis "this copy did not come from this grant", each prediction is met with probability at most
   ``q`` = the share of markable cells that show any scheme-like change, so the evidence is the binomial
   tail P(X ≥ k | n, q).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from .readers import Table
from .scheme import Column, Scheme, cell_eligible, normalize, numeric_variant, same_value, text_variant

MAX_KEPT_ROWS = 1_000_000
MIN_COVERAGE = 0.5
SCREEN_PAIRS = 3000  # rows every grant is scored on (about 600 predicted marks), the rest if it stands out
SCREEN_LOG10_P = -3.0  # a grant this unlikely by chance on those rows is scored on all of them


@dataclass
class GrantCandidate:
    grant_id: int
    columns: list[Column]  # as delivered to this grant


@dataclass
class EntryData:
    dataset_id: int
    columns: list[Column]  # every column of the entry
    key_column: str | None
    rows: Iterable[dict]  # stored (unmarked) rows
    grants: list[GrantCandidate]


@dataclass
class GrantScore:
    grant_id: int
    dataset_id: int
    rows_matched: int
    expected: int  # n: marks this grant predicts in the paired rows (in columns the copy kept)
    found: int  # k: predicted marks present in the copy
    unexplained: int  # scheme-like changes in the copy this grant does not predict
    chance: float  # q
    log10_p: float  # log10 P(X >= k | n, q)


@dataclass
class EntryMatch:
    dataset_id: int
    rows_in_file: int
    rows_matched: int  # rows paired with a stored row (by the entry's key or all columns)
    header: bool
    mapping: dict[int, str]  # copy column index → entry column
    scores: list[GrantScore] = field(default_factory=list)
    modified_cells: int = 0
    markable_cells: int = 0


def log10_binom_sf(k: int, n: int, q: float) -> float:
    """log10 of P(X >= k) for X ~ Binomial(n, q), computed in log space (tiny tails do not underflow)."""
    if k <= 0:
        return 0.0
    if k > n:
        return -math.inf
    q = min(max(q, 1e-12), 1 - 1e-12)
    lq, l1q = math.log(q), math.log1p(-q)
    lgn = math.lgamma(n + 1)
    terms = []
    for i in range(k, n + 1):
        t = lgn - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lq + (n - i) * l1q
        terms.append(t)
        if len(terms) > 1 and t < terms[0] - 40:
            break  # the terms only shrink from here on (i > n·q); the rest is negligible
    top = max(terms)
    total = top + math.log(sum(math.exp(t - top) for t in terms))
    return min(0.0, total / math.log(10))


def _file_index(rows: list[list]) -> tuple[dict[str, int], list[set[str]]]:
    """({normalised value: bitmask of the copy columns holding it}, [set of values per copy column])."""
    index: dict[str, int] = {}
    by_col: list[set[str]] = [set() for _ in range(max(len(r) for r in rows))]
    for row in rows:
        for j, v in enumerate(row):
            nv = normalize(v)
            if nv:
                index[nv] = index.get(nv, 0) | (1 << j)
                by_col[j].add(nv)
    return index, by_col


def _is_header(first: list, names: set[str]) -> bool:
    cells = [str(v).strip() for v in first if v not in (None, "")]
    hits = sum(1 for c in cells if c in names)
    return bool(cells) and hits >= max(1, (len(cells) + 1) // 2)


def _map_columns(values_by_col: list[set[str]], found: dict[str, set[str]], fixed: dict[int, str]) -> dict[int, str]:
    mapping = dict(fixed)
    pairs = []
    for j, vals in enumerate(values_by_col):
        if j in mapping or not vals:
            continue
        for name, seen in found.items():
            cov = len(vals & seen) / len(vals)
            if cov >= MIN_COVERAGE:
                pairs.append((cov, len(vals & seen), j, name))
    taken = set(mapping.values())
    for _cov, _n, j, name in sorted(pairs, reverse=True):
        if j not in mapping and name not in taken:
            mapping[j] = name
            taken.add(name)
    return mapping


def _split_header(table: Table, names: list[str]) -> tuple[list[list], bool, dict[int, str]]:
    """(data rows, whether the first row was a header, {copy column: entry column} from the header)."""
    rows = table.rows
    if table.header is not None:
        return rows, False, {j: h for j, h in enumerate(table.header) if h in names}
    if rows and _is_header(rows[0], set(names)):
        fixed = {j: str(h).strip() for j, h in enumerate(rows[0]) if str(h).strip() in names}
        return rows[1:], True, fixed
    return rows, False, {}


def _scan_store(entry: EntryData, names: list[str], index: dict[str, int]
                ) -> tuple[list[dict], list[dict], dict[str, set[str]]]:
    """One pass over the stored rows: the rows whose key is in the copy, the rows most of whose values
    are (for copies without the key column), and per entry column the copy's values found in it."""
    found: dict[str, set[str]] = {n: set() for n in names}
    by_key: list[dict] = []
    by_values: list[dict] = []
    key = entry.key_column
    for stored in entry.rows:
        hits = filled = 0
        for n in names:
            nv = normalize(stored.get(n))
            if nv:
                filled += 1
                if nv in index:
                    found[n].add(nv)
                    hits += 1
        if key is not None and normalize(stored.get(key)) in index:
            if len(by_key) < MAX_KEPT_ROWS:
                by_key.append(stored)
        elif filled and hits * 2 >= filled and len(by_values) < MAX_KEPT_ROWS:
            by_values.append(stored)
    return by_key, by_values, found


def match_entry(table: Table, entry: EntryData, key: bytes) -> EntryMatch | None:
    """Pair the copy's rows with ``entry``'s rows and score its grants; None if nothing matches."""
    names = [c.name for c in entry.columns]
    rows, header, fixed = _split_header(table, names)
    if not rows:
        return None
    index, values_by_col = _file_index(rows)
    by_key, by_values, found = _scan_store(entry, names, index)
    mapping = _map_columns(values_by_col, found, fixed)
    kept = by_key if entry.key_column in mapping.values() else by_values
    if not kept:
        return None
    copy_rows = [{name: row[j] for j, name in mapping.items() if j < len(row)} for row in rows]
    result = EntryMatch(entry.dataset_id, len(rows), 0, header, mapping)
    all_scheme = Scheme(key, 0, [c for c in entry.columns if c.name in mapping.values()], entry.key_column)
    result.rows_matched = len(_pairs(all_scheme, kept, copy_rows))
    if not result.rows_matched:
        return None
    present = set(mapping.values())
    cache: dict[tuple, tuple[list[Pair], int, int]] = {}
    for cand in entry.grants:
        scheme = Scheme(key, cand.grant_id, cand.columns, entry.key_column)
        # grants with the same columns pair rows and find eligible cells alike: do that once
        sig = (scheme.key_column, tuple(scheme.anchors), tuple(c.name for c in scheme.markable))
        if sig not in cache:
            pairs = [Pair(copy_row, orig, ident, scheme.eligible(orig))
                     for copy_row, orig, ident in _pairs(scheme, kept, copy_rows)]
            cols = [c for c in scheme.markable if c.name in present]
            cache[sig] = (pairs, *_changes(cols, pairs))
        pairs, modified, cells = cache[sig]
        # screen on rows spread evenly over the copy (a merge of several copies is represented in
        # proportion); only a grant that already stands out there is scored on all rows
        stride = max(1, -(-len(pairs) // SCREEN_PAIRS))
        score = _score(scheme, pairs[::stride], present, modified, cells)
        if len(pairs) > SCREEN_PAIRS and score.log10_p <= SCREEN_LOG10_P:
            score = _score(scheme, pairs, present, modified, cells)
        score.dataset_id = entry.dataset_id
        result.scores.append(score)
        result.modified_cells = max(result.modified_cells, modified)
        result.markable_cells = max(result.markable_cells, cells)
    result.scores.sort(key=lambda s: (s.log10_p, -s.found))
    return result


@dataclass
class Pair:
    copy: dict  # the copy's row, by entry column
    orig: dict  # the stored row it was paired with
    ident: str
    eligible: list[Column]  # columns of the stored row that can carry a mark


def _pairs(scheme: Scheme, kept: list[dict], copy_rows: list[dict]) -> list[tuple[dict, dict, str]]:
    """(copy row, stored row, identity) by the scheme's row identity; identities shared by several
    stored rows are ambiguous and left out."""
    originals: dict[str, dict | None] = {}
    for row in kept:
        ident = scheme.identity(row)
        if ident is not None:
            originals[ident] = None if ident in originals else row
    out = []
    for row in copy_rows:
        ident = scheme.identity(row)
        orig = originals.get(ident) if ident is not None else None
        if orig is not None:
            out.append((row, orig, ident))
    return out


def _scheme_like(col: Column, original, observed) -> bool:
    if col.kind == "numeric":
        return any(same_value(observed, numeric_variant(original, up)) for up in (True, False))
    return isinstance(observed, str) and observed == text_variant(original)


def _changes(cols: list[Column], pairs: list[Pair]) -> tuple[int, int]:
    """(cells showing a scheme-like change, markable cells) over the paired rows."""
    cells = modified = 0
    for p in pairs:
        for c in cols:
            value = p.orig.get(c.name)
            if cell_eligible(c, value):
                cells += 1
                if _scheme_like(c, value, p.copy.get(c.name)):
                    modified += 1
    return modified, cells


def _score(scheme: Scheme, pairs: list[Pair], present: set[str], modified: int, cells: int) -> GrantScore:
    """How many of the marks ``scheme`` predicts in ``pairs`` the copy shows, and the binomial tail."""
    expected = found = 0
    for p in pairs:
        mark = scheme.mark_for(p.orig, p.ident, p.eligible)
        if mark is not None and mark.column in present:
            expected += 1
            observed = p.copy.get(mark.column)
            if same_value(observed, mark.marked) and not same_value(observed, mark.original):
                found += 1
    q = (modified + 1) / (cells + 2)
    return GrantScore(scheme.grant_id, 0, len(pairs), expected, found, max(0, modified - found), q,
                      log10_binom_sf(found, expected, q))
