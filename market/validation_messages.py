"""Validation messages in the reader's language.

marshmallow's built-in messages are English ("Missing data for required field.") and would show on the
Chinese pages. A schema that subclasses :class:`LocalizedSchema` gets, for every field and every
marshmallow validator it uses, Chinese source messages translated when the error is raised, so the
entry form and the JSON API answer in the request's locale (Chinese, or English with ``?lang=en``).

Messages a schema author wrote themselves (``error=`` / ``error_messages=``) are kept as written.
Nothing is patched globally: a plain ``marshmallow.Schema`` keeps marshmallow's messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from marshmallow import Schema, ValidationError, fields, validate

# marshmallow's default field and schema messages (by their English text, which is the same whichever
# field class declares them) → our Chinese source. Placeholders in braces are filled by marshmallow.
DEFAULT_MESSAGES: dict[str, LazyString] = {
    "Missing data for required field.": _l("此项为必填项"),
    "Field may not be null.": _l("此项不能为空"),
    "Invalid value.": _l("值无效"),
    "Invalid type.": _l("类型无效"),
    "Invalid input type.": _l("输入类型无效，应为对象"),
    "Unknown field.": _l("不认识的字段"),
    "Not a valid list.": _l("应为列表"),
    "Not a valid tuple.": _l("应为元组"),
    "Not a valid string.": _l("应为文本"),
    "Not a valid utf-8 string.": _l("不是有效的 UTF-8 文本"),
    "Not a valid UUID.": _l("不是有效的 UUID"),
    "Not a valid number.": _l("应为数字"),
    "Number too large.": _l("数字过大"),
    "Not a valid integer.": _l("应为整数"),
    "Special numeric values (nan or infinity) are not permitted.": _l("不允许 NaN 或无穷大等特殊数值"),
    "Not a valid boolean.": _l("应为“是”或“否”"),
    "Not a valid {obj_type}.": _l("日期或时间格式无效"),
    "Not a valid {awareness} {obj_type}.": _l("日期时间的时区信息不符合要求"),
    '"{input}" cannot be formatted as a {obj_type}.': _l("“{input}”无法转换为日期或时间"),
    "Not a valid date.": _l("日期格式无效，应为 YYYY-MM-DD"),
    '"{input}" cannot be formatted as a date.': _l("“{input}”无法转换为日期"),
    "Not a valid period of time.": _l("时长格式无效"),
    "{input!r} cannot be formatted as a timedelta.": _l("“{input}”无法转换为时长"),
    "Not a valid mapping type.": _l("应为对象（键值对）"),
    "Not a valid URL.": _l("网址格式不正确"),
    "Not a valid email address.": _l("电子邮箱地址格式不正确"),
    "Not a valid IP address.": _l("IP 地址格式不正确"),
    "Not a valid IPv4 address.": _l("IPv4 地址格式不正确"),
    "Not a valid IPv6 address.": _l("IPv6 地址格式不正确"),
    "Not a valid IP interface.": _l("IP 网段格式不正确"),
    "Not a valid IPv4 interface.": _l("IPv4 网段格式不正确"),
    "Not a valid IPv6 interface.": _l("IPv6 网段格式不正确"),
    "Must be one of: {choices}.": _l("必须是以下之一：{choices}"),
}


class LocalizedMessages(dict):
    """An ``error_messages`` dict whose lazy entries are translated at look-up, i.e. when the error is
    raised in a request, not when the schema was built (schemas may be built at import time)."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return str(value) if isinstance(value, LazyString) else value


def localize_messages(messages: dict) -> LocalizedMessages:
    """Replace marshmallow's default messages in ``messages``; keep any the author wrote."""
    return LocalizedMessages({key: DEFAULT_MESSAGES.get(value, value) if isinstance(value, str) else value
                              for key, value in messages.items()})


def _sized(value: Any) -> bool:
    return isinstance(value, str | bytes)


def _length_message(v: validate.Length, value: Any) -> str:
    size = len(value)
    if v.equal is None and v.min == 1 and size == 0:
        return _("不能为空")
    if _sized(value):
        if v.equal is not None:
            return _("长度需为 %(equal)s 个字符", equal=v.equal)
        if v.min is not None and v.max is not None:
            return _("长度需在 %(min)s 到 %(max)s 个字符之间", min=v.min, max=v.max)
        if v.min is not None and size < v.min:
            return _("至少需要 %(min)s 个字符", min=v.min)
        return _("不能超过 %(max)s 个字符", max=v.max)
    if v.equal is not None:
        return _("需正好 %(equal)s 项", equal=v.equal)
    if v.min is not None and v.max is not None:
        return _("需有 %(min)s 到 %(max)s 项", min=v.min, max=v.max)
    if v.min is not None and size < v.min:
        return _("至少需要 %(min)s 项", min=v.min)
    return _("最多 %(max)s 项", max=v.max)


def _range_message(v: validate.Range, value: Any) -> str:
    if v.min is not None and v.max is not None and v.min_inclusive and v.max_inclusive:
        return _("需在 %(min)s 到 %(max)s 之间", min=v.min, max=v.max)
    too_low = v.min is not None and (value < v.min if v.min_inclusive else value <= v.min)
    if too_low:
        return _("不能小于 %(min)s", min=v.min) if v.min_inclusive else _("必须大于 %(min)s", min=v.min)
    return _("不能大于 %(max)s", max=v.max) if v.max_inclusive else _("必须小于 %(max)s", max=v.max)


def _default_error(v: Any) -> bool:
    """Whether the validator still carries marshmallow's own message (not one its author wrote)."""
    return v.error == v.default_message


# one entry per marshmallow validator: (is its message marshmallow's default?, our message). Order
# matters: subclasses (ContainsOnly < OneOf, ContainsNoneOf < NoneOf) come before their bases.
_VALIDATOR_MESSAGES: list[tuple[type, Callable[[Any], bool], Callable[[Any, Any], str]]] = [
    (validate.Length, lambda v: v.error is None, _length_message),
    (validate.Range, lambda v: v.error is None, _range_message),
    (validate.ContainsOnly, _default_error,
     lambda v, value: _("包含不可选的值，可选：%(choices)s", choices=v.choices_text)),
    (validate.ContainsNoneOf, _default_error,
     lambda v, value: _("不能包含以下值：%(values)s", values=v.values_text)),
    (validate.OneOf, _default_error, lambda v, value: _("必须是以下之一：%(choices)s", choices=v.choices_text)),
    (validate.NoneOf, _default_error, lambda v, value: _("不能是以下值：%(values)s", values=v.values_text)),
    (validate.Regexp, _default_error, lambda v, value: _("格式不正确")),
    (validate.Equal, _default_error, lambda v, value: _("必须等于 %(other)s", other=v.comparable)),
    (validate.Email, _default_error, lambda v, value: _("电子邮箱地址格式不正确")),
    (validate.URL, _default_error, lambda v, value: _("网址格式不正确")),
    (validate.Predicate, _default_error, lambda v, value: _("值无效")),
]


class LocalizedValidator:
    """Run a marshmallow validator; when it fails with marshmallow's own message, raise ours instead."""

    def __init__(self, inner: validate.Validator, message: Callable[[Any, Any], str]):
        self.inner = inner
        self.message = message

    def __call__(self, value: Any) -> Any:
        try:
            return self.inner(value)
        except ValidationError as exc:
            raise ValidationError(self.message(self.inner, value), **exc.kwargs) from exc

    def __repr__(self) -> str:
        return f"<LocalizedValidator {self.inner!r}>"


def localize_validator(v: Any) -> Any:
    """Wrap a marshmallow validator so it fails in the reader's language; anything else is returned as is."""
    if isinstance(v, LocalizedValidator):
        return v
    if isinstance(v, validate.And):
        return validate.And(*(localize_validator(inner) for inner in v.validators))
    for kind, is_default, message in _VALIDATOR_MESSAGES:
        if isinstance(v, kind):
            return LocalizedValidator(v, message) if is_default(v) else v
    return v


def localize_field(field: fields.Field) -> None:
    """Give ``field`` (and the fields inside it: list items, tuple members, dict keys and values)
    messages in the reader's language. Nested schemas localize themselves if they are LocalizedSchemas."""
    if not isinstance(field.error_messages, LocalizedMessages):
        field.error_messages = localize_messages(field.error_messages)
        field.validators = [localize_validator(v) for v in field.validators]
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None),
             *getattr(field, "tuple_fields", ())]
    for sub in inner:
        if isinstance(sub, fields.Field):
            localize_field(sub)


class LocalizedSchema(Schema):
    """A marshmallow schema whose built-in messages follow the request's locale (Chinese by default)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = localize_messages(self.error_messages)

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        super().on_bind_field(field_name, field_obj)
        localize_field(field_obj)
