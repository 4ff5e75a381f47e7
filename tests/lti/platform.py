"""A compact LTI 1.3 Advantage PLATFORM for the tests, served on 127.0.0.1 (a real HTTP counterpart).

It follows the IMS specs the tool relies on, with its own RSA key:

* ``/jwks`` — the platform's public keys;
* ``/auth`` — the OIDC authentication endpoint: checks client_id, redirect_uri (registered),
  response_type/mode, scope, prompt, nonce, state and the login/message hints, then posts the
  signed id_token and the state to the tool (auto-submitting form, with a button);
* ``/token`` — OAuth 2 client credentials with a JWT client assertion (RFC 7523), checked against the
  tool's JWKS (by URL, or a keyset pasted as Moodle allows); issues bearer tokens with scopes;
* ``/lineitems`` (GET, POST), ``/lineitems/<n>`` (GET), ``/lineitems/<n>/scores`` (POST) — AGS 2.0;
* ``/memberships`` — NRPS 2.0;
* ``/.well-known/openid-configuration`` and ``/register`` — LTI Dynamic Registration;
* ``/course`` — a course page that launches the tool in an iframe (learner) or starts deep linking
  (teacher); ``/deep-link-return`` receives the tool's LtiDeepLinkingResponse; ``/gradebook`` shows scores.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, abort, jsonify, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


@dataclass
class Member:
    sub: str
    name: str
    email: str
    roles: list[str]


@dataclass
class ToolRegistration:
    client_id: str
    login_url: str = ""
    redirect_uris: list[str] = field(default_factory=list)
    jwks_url: str = ""
    jwks: dict[str, Any] | None = None  # a keyset pasted instead of a URL
    deployment_id: str = "dep-1"
    deep_link_url: str = ""


class Platform:
    """State of the platform: its key, the registered tool, members, placed links, line items, scores."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, private=True, parameters={"kid": "platform-1", "alg": "RS256"})
        self.context = {"id": "ctx-1", "title": "Tin học cơ bản cho cán bộ (Moodle)", "label": "THCB"}
        self.members = {
            "stu-1": Member("stu-1", "Trần Văn Học", "hocvien.moodle@example.test", [LEARNER]),
            "teach-1": Member("teach-1", "Lê Thị Giáo", "giaovien.moodle@example.test", [INSTRUCTOR]),
        }
        self.tool = ToolRegistration(client_id="tool-client-1")
        self.links: dict[str, dict[str, Any]] = {}  # resource link id -> content item from deep linking
        self.lineitems: dict[int, dict[str, Any]] = {}
        self.scores: dict[int, list[dict[str, Any]]] = {}
        self.tokens: dict[str, set[str]] = {}
        self.seen_jti: set[str] = set()
        self.hints: dict[str, dict[str, Any]] = {}
        self.registration_tokens: set[str] = set()
        self.registrations: list[dict[str, Any]] = []
        self.deep_link_responses: list[dict[str, Any]] = []
        self.log: list[str] = []
        self.token_outages = 0  # the next N token requests answer 503 (an outage the tool must retry)
        self.base_url = ""
        self.lock = threading.Lock()
        self.app = self._make_app()

    # --- helpers for tests --------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.base_url

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.key.as_dict(private=False), "use": "sig"}]}

    def sign(self, claims: dict[str, Any], *, key: RSAKey | None = None, kid: str = "platform-1") -> str:
        return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key or self.key)

    def id_token_claims(self, hint: dict[str, Any], nonce: str) -> dict[str, Any]:
        """The id_token a launch described by ``hint`` carries (LTI Core 1.3 + Advantage claims)."""
        member = self.members[hint["user"]]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.tool.client_id,
            "sub": member.sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": member.name,
            "email": member.email,
            CLAIM + "deployment_id": self.tool.deployment_id,
            CLAIM + "version": "1.3.0",
            CLAIM + "roles": member.roles,
            CLAIM + "context": self.context,
            CLAIM + "tool_platform": {"guid": "platform-test", "name": "Moodle thử nghiệm"},
            NRPS: {
                "context_memberships_url": f"{self.base_url}/memberships",
                "service_versions": ["2.0"],
            },
        }
        if hint["type"] == "deep_linking":
            claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.base_url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "data": "dl-data-123",
            }
            claims[CLAIM + "target_link_uri"] = hint["target_link_uri"]
        else:
            link = self.links.get(hint["link"], {})
            claims[CLAIM + "message_type"] = "LtiResourceLinkRequest"
            claims[CLAIM + "target_link_uri"] = hint["target_link_uri"]
            claims[CLAIM + "resource_link"] = {"id": hint["link"], "title": link.get("title", "Bài học")}
            if link.get("custom"):
                claims[CLAIM + "custom"] = link["custom"]
            ags: dict[str, Any] = {
                "scope": [SCOPE_LINEITEM, SCOPE_SCORE, SCOPE_RESULT],
                "lineitems": f"{self.base_url}/lineitems",
            }
            if link.get("lineitem_id"):
                ags["lineitem"] = f"{self.base_url}/lineitems/{link['lineitem_id']}"
            claims[AGS] = ags
        return claims

    def login_params(self, hint: dict[str, Any]) -> dict[str, str]:
        """Parameters of a third-party initiated login for a launch described by ``hint``."""
        message_hint = secrets.token_urlsafe(12)
        self.hints[message_hint] = hint
        return {
            "iss": self.issuer,
            "login_hint": hint["user"],
            "target_link_uri": hint["target_link_uri"],
            "lti_message_hint": message_hint,
            "client_id": self.tool.client_id,
            "lti_deployment_id": self.tool.deployment_id,
        }

    def place_link(self, link_id: str, item: dict[str, Any]) -> None:
        """Add a resource link to the course from a content item (with its line item, if any)."""
        placed = {"title": item.get("title", ""), "url": item["url"], "custom": item.get("custom") or {}}
        if item.get("lineItem"):
            li = item["lineItem"]
            placed["lineitem_id"] = self._new_lineitem(
                {
                    "scoreMaximum": li["scoreMaximum"],
                    "label": li.get("label", item.get("title", "")),
                    "resourceId": li.get("resourceId", ""),
                    "tag": li.get("tag", ""),
                    "resourceLinkId": link_id,
                }
            )["_n"]
        self.links[link_id] = placed

    def _new_lineitem(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            n = len(self.lineitems) + 1
            item = {**body, "_n": n, "id": f"{self.base_url}/lineitems/{n}"}
            self.lineitems[n] = item
            self.scores[n] = []
        return item

    def latest_scores(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(line item label, user id) -> the latest score the platform keeps (newest timestamp wins)."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for n, scores in self.scores.items():
            for s in scores:
                key = (self.lineitems[n]["label"], s["userId"])
                if key not in out or s["timestamp"] >= out[key]["timestamp"]:
                    out[key] = s
        return out

    # --- the tool's keys --------------------------------------------------------------------

    def tool_keyset(self) -> KeySet:
        if self.tool.jwks is not None:
            return KeySet.import_key_set(self.tool.jwks)
        return KeySet.import_key_set(requests.get(self.tool.jwks_url, timeout=10).json())

    def _bearer(self, scope: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        if not header.startswith("Bearer ") or token not in self.tokens:
            abort(401)
        if scope not in self.tokens[token]:
            abort(403)

    # --- the HTTP side ------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("test_platform")
        p = self

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(p.jwks())

        @app.route("/auth", methods=["GET", "POST"])
        def auth() -> Any:
            q = request.values
            problems = []
            if q.get("scope") != "openid":
                problems.append("scope")
            if q.get("response_type") != "id_token" or q.get("response_mode") != "form_post":
                problems.append("response_type/mode")
            if q.get("prompt") != "none":
                problems.append("prompt")
            if q.get("client_id") != p.tool.client_id:
                problems.append("client_id")
            if q.get("redirect_uri") not in p.tool.redirect_uris:
                problems.append("redirect_uri")
            if not q.get("nonce") or not q.get("state"):
                problems.append("nonce/state")
            hint = p.hints.get(q.get("lti_message_hint", ""))
            if hint is None or q.get("login_hint") != hint["user"]:
                problems.append("hints")
            if problems:
                p.log.append(f"auth refused: {problems}")
                return f"invalid_request: {', '.join(problems)}", 400
            id_token = p.sign(p.id_token_claims(hint, q["nonce"]))
            return _autopost(q["redirect_uri"], {"id_token": id_token, "state": q["state"]})

        @app.post("/token")
        def token() -> Any:
            if p.token_outages > 0:
                p.token_outages -= 1
                return jsonify(error="temporarily_unavailable"), 503
            f = request.form
            if f.get("grant_type") != "client_credentials":
                return jsonify(error="unsupported_grant_type"), 400
            if f.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                return jsonify(error="invalid_client"), 401
            try:
                assertion = jwt.decode(f.get("client_assertion", ""), p.tool_keyset(), algorithms=["RS256"])
            except Exception as exc:  # any failure to verify is an invalid client
                p.log.append(f"token refused: {exc}")
                return jsonify(error="invalid_client"), 401
            c = assertion.claims
            aud = c.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            now = time.time()
            if (
                c.get("iss") != p.tool.client_id
                or c.get("sub") != p.tool.client_id
                or f"{p.base_url}/token" not in auds
                or not isinstance(c.get("exp"), int | float)
                or c["exp"] < now
                or not c.get("jti")
                or c["jti"] in p.seen_jti
            ):
                p.log.append(f"token refused claims: {c}")
                return jsonify(error="invalid_client"), 401
            p.seen_jti.add(c["jti"])
            allowed = {SCOPE_LINEITEM, SCOPE_SCORE, SCOPE_RESULT, SCOPE_NRPS}
            scopes = set(f.get("scope", "").split()) & allowed
            value = secrets.token_urlsafe(16)
            p.tokens[value] = scopes
            return jsonify(
                access_token=value, token_type="Bearer", expires_in=3600, scope=" ".join(sorted(scopes))
            )

        @app.route("/lineitems", methods=["GET", "POST"])
        def lineitems() -> Any:
            if request.method == "POST":
                p._bearer(SCOPE_LINEITEM)
                if request.mimetype != "application/vnd.ims.lis.v2.lineitem+json":
                    return "wrong content type", 415
                body = request.get_json(force=True)
                if not isinstance(body.get("scoreMaximum"), int | float) or not body.get("label"):
                    return "scoreMaximum and label required", 400
                item = p._new_lineitem(body)
                return _ims({k: v for k, v in item.items() if k != "_n"}, "lineitem", 201)
            p._bearer(SCOPE_LINEITEM)
            items = [
                {k: v for k, v in i.items() if k != "_n"}
                for i in p.lineitems.values()
                if not request.args.get("resource_id") or i.get("resourceId") == request.args["resource_id"]
                if not request.args.get("resource_link_id")
                or i.get("resourceLinkId") == request.args["resource_link_id"]
            ]
            return _ims(items, "lineitemcontainer")

        @app.get("/lineitems/<int:n>")
        def lineitem(n: int) -> Any:
            p._bearer(SCOPE_LINEITEM)
            item = p.lineitems.get(n) or abort(404)
            return _ims({k: v for k, v in item.items() if k != "_n"}, "lineitem")

        @app.post("/lineitems/<int:n>/scores")
        def scores(n: int) -> Any:
            p._bearer(SCOPE_SCORE)
            if n not in p.lineitems:
                abort(404)
            if request.mimetype != "application/vnd.ims.lis.v1.score+json":
                return "wrong content type", 415
            s = request.get_json(force=True)
            required = ("userId", "timestamp", "activityProgress", "gradingProgress")
            if any(not s.get(k) for k in required) or (
                "scoreGiven" in s and not isinstance(s.get("scoreMaximum"), int | float)
            ):
                return "missing score fields", 400
            p.scores[n].append(s)
            return "", 204

        @app.get("/memberships")
        def memberships() -> Any:
            p._bearer(SCOPE_NRPS)
            members = [
                {"status": "Active", "user_id": m.sub, "name": m.name, "email": m.email, "roles": m.roles}
                for m in p.members.values()
            ]
            body = {"id": f"{p.base_url}/memberships", "context": p.context, "members": members}
            return _ims(body, "membershipcontainer")

        @app.get("/.well-known/openid-configuration")
        def openid_configuration() -> Any:
            return jsonify(
                issuer=p.issuer,
                authorization_endpoint=f"{p.base_url}/auth",
                token_endpoint=f"{p.base_url}/token",
                token_endpoint_auth_methods_supported=["private_key_jwt"],
                token_endpoint_auth_signing_alg_values_supported=["RS256"],
                jwks_uri=f"{p.base_url}/jwks",
                registration_endpoint=f"{p.base_url}/register",
                scopes_supported=["openid", SCOPE_LINEITEM, SCOPE_SCORE, SCOPE_RESULT, SCOPE_NRPS],
                response_types_supported=["id_token"],
                subject_types_supported=["public", "pairwise"],
                id_token_signing_alg_values_supported=["RS256"],
                claims_supported=["sub", "iss", "name", "email"],
                **{
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "moodle",
                        "version": "4.5",
                        "messages_supported": [
                            {"type": "LtiResourceLinkRequest"},
                            {"type": "LtiDeepLinkingRequest"},
                        ],
                    }
                },
            )

        @app.post("/register")
        def register() -> Any:
            token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if token not in p.registration_tokens:
                return jsonify(error="invalid_token"), 401
            body = request.get_json(force=True)
            tool_conf = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
            needed = ("initiate_login_uri", "redirect_uris", "jwks_uri", "client_name")
            if any(not body.get(k) for k in needed) or not tool_conf.get("target_link_uri"):
                return jsonify(error="invalid_client_metadata"), 400
            if body.get("token_endpoint_auth_method") != "private_key_jwt" or body.get("response_types") != [
                "id_token"
            ]:
                return jsonify(error="invalid_client_metadata"), 400
            p.registration_tokens.discard(token)
            client_id = f"dyn-{len(p.registrations) + 1}"
            p.registrations.append(body)
            p.tool = ToolRegistration(
                client_id=client_id,
                login_url=body["initiate_login_uri"],
                redirect_uris=list(body["redirect_uris"]),
                jwks_url=body["jwks_uri"],
                deployment_id="dep-dyn-1",
            )
            answer = {
                **body,
                "client_id": client_id,
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                    **tool_conf,
                    "deployment_id": "dep-dyn-1",
                },
            }
            return jsonify(answer)

        @app.get("/course")
        def course() -> Any:
            """The platform's course page: a link placed by deep linking opens in an iframe."""
            user = request.args.get("user", "stu-1")
            rows = []
            for link_id, link in p.links.items():
                hint = {"type": "resource", "user": user, "link": link_id, "target_link_uri": link["url"]}
                rows.append(
                    _launch_form(p.tool.login_url, p.login_params(hint), f"Mở: {link['title']}", link_id)
                )
            dl = {"type": "deep_linking", "user": user, "target_link_uri": p.tool.deep_link_url}
            rows.append(_launch_form(p.tool.login_url, p.login_params(dl), "Thêm nội dung từ công cụ", "dl"))
            page = "".join(rows)
            return (
                f"<!doctype html><html><head><meta charset=utf-8><title>Khoá học trên nền tảng</title></head>"
                f"<body><h1>{html.escape(p.context['title'])}</h1>{page}"
                '<iframe name="tool-frame" id="tool-frame" style="width:100%;height:700px"></iframe></body></html>'
            )

        @app.post("/deep-link-return")
        def deep_link_return() -> Any:
            try:
                token = jwt.decode(request.form.get("JWT", ""), p.tool_keyset(), algorithms=["RS256"])
            except Exception as exc:  # a response the platform cannot verify is refused
                return f"invalid JWT: {exc}", 400
            c = token.claims
            if (
                c.get("iss") != p.tool.client_id
                or c.get("aud") not in (p.issuer, [p.issuer])
                or c.get(CLAIM + "message_type") != "LtiDeepLinkingResponse"
                or c.get(CLAIM + "version") != "1.3.0"
                or c.get(CLAIM + "deployment_id") != p.tool.deployment_id
                or c.get(DL + "data") != "dl-data-123"
                or not c.get("nonce")
            ):
                return "invalid deep linking response", 400
            p.deep_link_responses.append(c)
            titles = []
            for item in c.get(DL + "content_items") or []:
                link_id = f"link-{len(p.links) + 1}"
                p.place_link(link_id, item)
                titles.append(html.escape(item.get("title", "")))
            return f"<!doctype html><html><body><h1>Đã thêm: {', '.join(titles)}</h1></body></html>"

        @app.get("/gradebook")
        def gradebook() -> Any:
            rows = "".join(
                f"<tr><td>{html.escape(label)}</td><td>{html.escape(user)}</td>"
                f"<td>{s.get('scoreGiven', '')}/{s.get('scoreMaximum', '')}</td>"
                f"<td>{s['activityProgress']}</td><td>{s['gradingProgress']}</td></tr>"
                for (label, user), s in sorted(p.latest_scores().items())
            )
            return f"<!doctype html><html><body><h1>Sổ điểm</h1><table id=grades>{rows}</table></body></html>"

        return app

    # --- running ------------------------------------------------------------------------------

    def start(self) -> None:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


def _ims(body: Any, media: str, status: int = 200) -> Any:
    response = jsonify(body)
    response.status_code = status
    kind = "v1" if media == "score" else "v2"
    response.mimetype = f"application/vnd.ims.lis.{kind}.{media}+json"
    if media == "membershipcontainer":
        response.mimetype = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    return response


def _autopost(url: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items())
    return (
        f'<!doctype html><html><body><form id="f" method="post" action="{html.escape(url)}">{inputs}'
        '<button type="submit">Tiếp tục</button></form>'
        "<script>document.getElementById('f').submit()</script></body></html>"
    )


def _launch_form(login_url: str, params: dict[str, str], label: str, ident: str) -> str:
    inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in params.items())
    return (
        f'<form method="post" action="{html.escape(login_url)}" target="tool-frame" id="launch-{ident}">'
        f'{inputs}<button type="submit">{html.escape(label)}</button></form>'
    )


def login_query(params: dict[str, str]) -> str:
    return urlencode(params)
