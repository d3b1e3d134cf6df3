"""OpenAPI paths of the reviews API (merged into /api/v1/openapi.json by market.openapi)."""

from __future__ import annotations

from orders.openapi import OBJ, SEC, _body, _errors, _id, _ok

from .schemas import ReasonInput, ReplyInput, ReviewInput


def ratings_paths() -> dict:
    review = [_id("review_id")]
    return {
        "/api/v1/datasets/{dataset_id}/reviews": {
            "parameters": [_id("dataset_id")],
            "get": {"summary": "Visible reviews of an entry, newest first, with average, count, Bayesian average, "
                               "star histogram and per-dimension averages (page, per_page ≤ 100)",
                    "responses": {**_ok(), **_errors(404, 422)}},
            "post": {"summary": "Review an entry you received (grant, download, API call or query): 1–5 overall, "
                                "optional quality/completeness/timeliness/usability/service, text ≤ 2000",
                     "security": SEC, "requestBody": _body(ReviewInput()),
                     "responses": {**_ok("the review", "201"), **_errors(400, 401, 403, 404, 409, 422)}}},
        "/api/v1/datasets/{dataset_id}/reviews/mine": {"parameters": [_id("dataset_id")], "put": {
            "summary": "Edit your review of the entry", "security": SEC, "requestBody": _body(ReviewInput()),
            "responses": {**_ok("the review"), **_errors(400, 401, 403, 404, 422)}}},
        "/api/v1/reviews/{review_id}": {"parameters": review, "put": {
            "summary": "Edit your own review", "security": SEC, "requestBody": _body(ReviewInput()),
            "responses": {**_ok("the review"), **_errors(400, 401, 403, 404, 422)}}},
        "/api/v1/reviews/{review_id}/reply": {"parameters": review, "post": {
            "summary": "The owning department's officer replies (again: edits the reply)", "security": SEC,
            "requestBody": _body(ReplyInput()), "responses": {**_ok("the review"), **_errors(400, 401, 403, 404, 422)}}},
        "/api/v1/reviews/{review_id}/report": {"parameters": review, "post": {
            "summary": "Report abuse (201; 200 if you reported it already)", "security": SEC,
            "requestBody": _body(ReasonInput()),
            "responses": {**_ok("reported", "201"), **_ok("already reported"), **_errors(400, 401, 403, 404, 422)}}},
        "/api/v1/reviews/{review_id}/hide": {"parameters": review, "post": {
            "summary": "Operators hide a review (reason required); averages drop it at once", "security": SEC,
            "requestBody": _body(ReasonInput()), "responses": {**_ok("the review"), **_errors(400, 401, 403, 404, 422)}}},
        "/api/v1/reviews/{review_id}/unhide": {"parameters": review, "post": {
            "summary": "Operators show a hidden review again", "security": SEC,
            "responses": {**_ok("the review"), **_errors(401, 403, 404)}}},
        "/api/v1/ratings/improvements": {"get": {
            "summary": "The improvement list (low scores, recurring complaint dimensions) of the caller's "
                       "department, or of ?department=CODE for operators", "security": SEC,
            "parameters": [{"name": "department", "in": "query", "schema": {"type": "string"}},
                           {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 200}}],
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": OBJ}}},
                          **_errors(401, 403, 404, 422)}}},
    }
