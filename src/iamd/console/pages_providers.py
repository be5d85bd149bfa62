"""Identity providers: SAML (metadata pasted or read from a file) and OpenID Connect."""

from .pages_users import lines
from .routes import Denied, route

CREATE = {
    "saml": lambda f: ("CreateSAMLProvider", {"Name": f.get("name", "").strip(),
                                              "SAMLMetadataDocument": f.get("metadata", "")}),
    "oidc": lambda f: ("CreateOpenIDConnectProvider", {"Url": f.get("url", "").strip(),
                                                       "ClientIDList": lines(f.get("clients", "")) or None,
                                                       "ThumbprintList": lines(f.get("thumbprints", "")) or None}),
}
DELETE = {"saml": ("DeleteSAMLProvider", "SAMLProviderArn"),
          "oidc": ("DeleteOpenIDConnectProvider", "OpenIDConnectProviderArn")}


@route("GET", "/providers")
def providers(page, error=None, status=200):
    saml, saml_error = page.attempt("ListSAMLProviders")
    oidc, oidc_error = page.attempt("ListOpenIDConnectProviders")
    values = page.form if error else {}
    return page.render("providers.html", status, saml=(saml or {}).get("SAMLProviderList", []),
                       saml_error=saml_error, oidc=(oidc or {}).get("OpenIDConnectProviderList", []),
                       oidc_error=oidc_error, error=error, values=values)


@route("POST", "/providers/(?P<kind>saml|oidc)/(?P<act>create|delete)")
def provider_action(page, kind, act):
    f = page.form
    try:
        if act == "create":
            op, params = CREATE[kind](f)
            page.call(op, **params)
        else:
            op, param = DELETE[kind]
            page.call(op, **{param: f.get("arn", "")})
    except Denied as err:
        return providers(page, error=err, status=400)
    return page.redirect("/providers", "created" if act == "create" else "deleted")
