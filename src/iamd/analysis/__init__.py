"""Offline analysis of an account's authorization details: what both the client and the
console draw from the same documents.

The client (`iamd account ...`, cli/account/) fetches GetAccountAuthorizationDetails and the
credential report over the API; the console (console/) fetches them as its signed-in
principal. Both hand the answers to these pure modules, so that neither the server depends
on the client's code nor the client on the server's:

documents.py   policy documents in GetAccountAuthorizationDetails decoded to JSON data
findings.py    the credential report's security findings (the catalogue of checks)
graph.py       the authorization graph: build, column layout, edge routing, writing files
graph_html.py  the graph as one self-contained HTML page (the console serves it too)
graph_draw.py  the graph drawn to SVG/PNG with matplotlib (the client's files)
"""
