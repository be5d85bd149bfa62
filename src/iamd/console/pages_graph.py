"""The authorization graph: the interactive HTML graph the client draws too (analysis/graph_html),
drawn from GetAccountAuthorizationDetails fetched as the signed-in principal.

The page is the client's self-contained file: its one style sheet and one script are
inline, so this page's Content-Security-Policy admits exactly those two by their SHA-256
(nothing else inline runs). The graph needs the whole account, so an account larger than
GRAPH_LIMIT entities gets a pointer to the command line instead of a slow page.
"""

import base64
import hashlib
import re

from ..analysis.documents import LISTS, decode_documents
from ..analysis.graph import build, caption, layout
from ..analysis.graph_html import render_html
from .routes import Denied, route
from .web import html

GRAPH_LIMIT = 1000  # users + groups + roles + customer managed policies
_INLINE = re.compile(r"<(style|script)>(.*?)</\1>", re.S)


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _details(page) -> dict:
    details, marker = {k: [] for k in LISTS}, None
    while True:
        out = page.call("GetAccountAuthorizationDetails", MaxItems=1000, Marker=marker)
        for key in LISTS:
            details[key] += out.get(key, [])
        if not out.get("IsTruncated"):
            return decode_documents(details)
        marker = out["Marker"]


@route("GET", "/graph")
def graph(page):
    try:
        smap = page.call("GetAccountSummary")["SummaryMap"]
        size = sum(smap.get(k, 0) for k in ("Users", "Groups", "Roles", "Policies"))
        if size > GRAPH_LIMIT:
            return page.render("error.html", 200, heading="Authorization graph",
                               message=f"The account has {size} users, groups, roles and policies: more than "
                                       f"{GRAPH_LIMIT} for a graph in the browser. Draw it with `iamd account "
                                       f"authorization-details --graph FILE.html`.")
        g = build(_details(page))
    except Denied as err:
        return page.render("error.html", 403 if err.code == "AccessDenied" else 400,
                           heading="Authorization graph", message=str(err))
    body = render_html(g, layout(g), caption(g))
    inline = {kind: _sha(text) for kind, text in _INLINE.findall(body)}
    resp = html(page.req, body)
    csp = (f"default-src 'none'; script-src {inline.get('script', chr(39) + 'none' + chr(39))}; "
           f"style-src {inline.get('style', chr(39) + 'none' + chr(39))}; img-src data:; "
           f"frame-ancestors 'none'; base-uri 'none'; form-action 'none'").encode()
    resp.headers = tuple((k, csp if k == b"content-security-policy" else v) for k, v in resp.headers)
    return resp
