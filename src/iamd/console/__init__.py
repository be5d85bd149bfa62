"""The web console, served under /console/ by the pipeline's first step (server/app.py).

A room of its own beside server/: the server mounts it; it never imports the client (cli/).
What it shares with the client (findings, the authorization graph) is analysis/.

Pages are rendered on the server (Jinja2, autoescaped) from the answers of the API's own
operations: every action calls `IamApp.invoke` with the signed-in principal as caller, so
the console is authorized by the same seam (server/authorize.py), in the same transaction
as the handler, and shows AWS's denial in words where the API would answer AccessDenied.

web.py       requests, responses, cookies and the security headers
sessions.py  server-side sessions (store/console.py) and their CSRF tokens
throttle.py  failed sign-ins, per user and per source address, counted in the database
signin.py    checking an account (any the store hosts), user name, password and MFA code
routes.py    the URL table and the per-request `Page` (principal, `call`)
pages_*.py   the pages
"""
