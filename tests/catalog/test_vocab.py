"""Free-text update frequencies and open conditions from real portals map onto our vocabulary.

The values below are every distinct value found in ../shared/data/catalogs/*.jsonl, so a change to
the patterns that breaks a real portal's value shows up here.
"""

import pytest

from catalog.vocab import map_open_condition, map_update_frequency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每年", "yearly"),
        ("年", "yearly"),
        ("按年更新", "yearly"),
        ("按年", "yearly"),
        ("‘每年’", "yearly"),
        ("每半年", "yearly"),
        ("半年", "yearly"),
        ("每两年", "yearly"),
        ("Annually | Annuel", "yearly"),
        ("Biannually | Semestriel", "yearly"),
        ("每 6 月", "yearly"),
        ("每 121 日", "yearly"),
        ("实时", "realtime"),
        ("Continual | Continue", "realtime"),
        ("每日", "daily"),
        ("每天", "daily"),
        ("Daily | Quotidien", "daily"),
        ("每周", "weekly"),
        ("Weekly | Hebdomadaire", "weekly"),
        ("每 2 日", "weekly"),
        ("每 3 日", "weekly"),
        ("每月", "monthly"),
        ("每半月", "monthly"),
        ("Monthly | Mensuel", "monthly"),
        ("每季度", "quarterly"),
        ("季度", "quarterly"),
        ("每 3 月", "quarterly"),
        ("Quarterly | Trimestriel", "quarterly"),
        ("不定期", "irregular"),
        ("不定期更新", "irregular"),
        ("不定时", "irregular"),
        ("其他", "irregular"),
        ("其它", "irregular"),
        ("自定义", "irregular"),
        ("牲畜饲养", "irregular"),
        ("每 null null", "irregular"),
        ("Unknown | Inconnu", "irregular"),
        ("As Needed | Au besoin", "irregular"),
        ("Not Planned | Non planifié", "irregular"),
        ("Irregular | Irrégulier", "irregular"),
        (None, "irregular"),
        ("", "irregular"),
    ],
)
def test_real_update_frequencies(text, expected):
    assert map_update_frequency(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("无条件开放", "open"),
        ("完全开放", "open"),
        ("普遍开放", "open"),
        ("可开放", "open"),
        ("无条件共享", "open"),
        ("无条件开发", "open"),
        ("无特殊条件", "open"),
        ("普通公开，简单注册用户可下载", "open"),
        ("普通公开,简单注册用户可下载", "open"),
        ("登录开放", "open"),
        ("有条件开放", "conditional"),
        ("依申请开放", "conditional"),
        ("申请后开放", "conditional"),
        ("有条件开发", "conditional"),
        ("安全开放", "conditional"),
        ("实名注册用户可下载", "conditional"),
        ("半开放", "conditional"),
        # placeholders and gaps take the cautious default
        ("开放条件", "conditional"),
        ("请补充开放条件", "conditional"),
        (None, "conditional"),
        ("不予开放", "closed"),
        ("不可开放", "closed"),
    ],
)
def test_real_open_conditions(text, expected):
    assert map_open_condition(text) == expected
