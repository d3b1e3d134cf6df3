"""CKAN-compatible Action API: ``/api/3/action/<action>`` (and ``/api/action/<action>``, the path the
``ckanapi`` client and older harvesters call).

GET takes query parameters, POST a JSON object, as CKAN does. Every action is read-only, so POSTs
are exempt from our CSRF check (see ``market.security``): a cross-site POST could only make a
browser fetch public metadata it cannot read back. Cookie sessions are ignored here: what a caller
sees depends only on the API token it sends (``Authorization: <token>``, as CKAN clients send it,
or ``Authorization: Bearer <token>``); without one, the anonymous visitor's view.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from market.errors import MarketError

from .ckan_actions import ACTIONS
from .ckan_params import CkanError

bp = Blueprint("ckan_api", __name__)
ENDPOINT = "ckan_api.action"


def _caller():
    from market.auth.services import user_for_token

    header = request.headers.get("Authorization", "").strip() or request.headers.get("X-CKAN-API-Key", "").strip()
    if not header:
        return None
    token = header[7:].strip() if header[:7].lower() == "bearer " else header
    user = user_for_token(token)
    if user is None:  # a data API key (接口密钥) identifies its holder too
        from delivery.keys import key_for_secret

        key = key_for_secret(token)
        user = key.user if key is not None and key.user.active else None
    if user is None:
        raise CkanError("Authorization Error", "Authorization failed: the API token is unknown or expired")
    return user


def _params() -> dict:
    if request.method == "POST" and request.get_data():
        body = request.get_json(silent=True)
        if body is None and request.form:
            return request.form.to_dict()
        if not isinstance(body, dict):
            raise CkanError("Bad Request", "Bad request: the body must be a JSON object")
        return body
    return request.args.to_dict()  # the last value of a repeated key, like CKAN


def _envelope(action: str, **rest):
    help_url = url_for(ENDPOINT, action="help_show", name=action, _external=True)
    return {"help": help_url, **rest}


@bp.route("/api/3/action/<action>", methods=["GET", "POST"], endpoint="action")
@bp.route("/api/action/<action>", methods=["GET", "POST"], endpoint="action")
def action_view(action: str):
    fn = ACTIONS.get(action)
    try:
        if fn is None:
            raise CkanError("Bad Request", f"Bad request - Action name not known: {action}")
        result = fn(_params(), _caller())
    except CkanError as exc:
        return jsonify(_envelope(action, success=False, error=exc.body())), exc.status
    except MarketError as exc:  # a service refused: same envelope, our message
        kind, status = {403: ("Authorization Error", 403), 404: ("Not Found Error", 404),
                        429: ("Rate Limit Error", 429)}.get(exc.status, ("Validation Error", 409))
        response = jsonify(_envelope(action, success=False, error={"__type": kind, "message": exc.message}))
        if getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response, status
    return jsonify(_envelope(action, success=True, result=result))
