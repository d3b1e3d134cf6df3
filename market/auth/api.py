"""POST /api/v1/auth/token: trade a username and password for a bearer token."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from marshmallow import fields, validate

from market.api_utils import load_json
from market.db import db
from market.errors import Unauthorized
from market.validation_messages import LocalizedSchema

from .services import authenticate, issue_token

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth")


class TokenRequest(LocalizedSchema):
    username = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, validate=validate.Length(1, 1024))


@bp.post("/token")
def token():
    data = load_json(TokenRequest())
    user = authenticate(data["username"], data["password"], address=request.remote_addr or "-")
    if user is None:
        raise Unauthorized("Unknown username or wrong password.", code="bad_credentials")
    token_text = issue_token(user)
    db.session.commit()
    return jsonify({"token": token_text, "username": user.username, "role": user.role.value}), 201
