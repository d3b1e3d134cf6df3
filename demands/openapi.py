"""OpenAPI paths of the demand and objection API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

from orders.openapi import SEC, _body, _errors, _id, _ok

from .schemas import (
    AnswerInput,
    DemandInput,
    DemandQuery,
    LinkInput,
    MeTooInput,
    ObjectionAnswerInput,
    ObjectionInput,
    ObjectionQuery,
    RouteInput,
)


def _query(schema) -> list[dict]:
    return [{"name": name, "in": "query", "schema": {"type": "integer" if f.__class__.__name__ == "Integer"
                                                     else "string"}} for name, f in schema.fields.items()]


def _post(summary: str, schema, *codes: int, status: str = "200") -> dict:
    return {"post": {"summary": summary, "security": SEC, "requestBody": _body(schema),
                     "responses": {**_ok(status=status), **_errors(*codes)}}}


def demands_paths() -> dict:
    one = [_id("demand_id")]
    return {
        "/api/v1/demands": {
            "get": {"summary": "Search demands (数据需求): q over title, description and data items; filters state, "
                               "scope (all/mine/todo), department", "security": SEC,
                    "parameters": _query(DemandQuery()), "responses": {**_ok(), **_errors(401, 422)}},
            **_post("Post a demand (any signed-in user); the answer carries the suggested departments",
                    DemandInput(), 400, 401, 422, status="201")},
        "/api/v1/demands/{demand_id}": {"parameters": one, "get": {
            "summary": "One demand with suggestions, answer, supporters", "security": SEC,
            "responses": {**_ok(), **_errors(401, 404)}}},
        "/api/v1/demands/{demand_id}/me-too": {"parameters": one, **_post(
            "Add \"me too\" with your own purpose", MeTooInput(), 400, 401, 404, 409, 422, status="201")},
        "/api/v1/demands/{demand_id}/route": {"parameters": one, **_post(
            "Operators confirm the owning department", RouteInput(), 400, 401, 403, 404, 409, 422)},
        "/api/v1/demands/{demand_id}/answer": {"parameters": one, **_post(
            "The owner's officer answers: will_publish (publish_by) / exists (dataset_id) / not_held / refused",
            AnswerInput(), 400, 401, 403, 404, 409, 422)},
        "/api/v1/demands/{demand_id}/link": {"parameters": one, **_post(
            "The owner links the entry meeting the demand (published: fulfilled now; draft: when published)",
            LinkInput(), 400, 401, 403, 404, 409, 422)},
        "/api/v1/demands/{demand_id}/withdraw": {"parameters": one, "post": {
            "summary": "The requester withdraws an open demand", "security": SEC,
            "responses": {**_ok(), **_errors(401, 403, 404, 409)}}},
        "/api/v1/objections": {
            "get": {"summary": "Objections (数据异议) the caller may see", "security": SEC,
                    "parameters": _query(ObjectionQuery()), "responses": {**_ok(), **_errors(401, 422)}},
            **_post("Object to an entry, a data item (item_name) or a delivered copy (grant_id)", ObjectionInput(),
                    400, 401, 422, status="201")},
        "/api/v1/objections/{objection_id}": {"parameters": [_id("objection_id")], "get": {
            "summary": "One objection", "security": SEC, "responses": {**_ok(), **_errors(401, 404)}}},
        "/api/v1/objections/{objection_id}/answer": {"parameters": [_id("objection_id")], **_post(
            "The owner's officer answers: corrected (version; holders are notified) / explained / rejected",
            ObjectionAnswerInput(), 400, 401, 403, 404, 409, 422)},
        "/api/v1/datasets/{dataset_id}/quality": {"parameters": [_id("dataset_id")], "get": {
            "summary": "The entry's quality score from its objection history, with inputs and formula",
            "responses": {**_ok(), **_errors(404)}}},
    }
