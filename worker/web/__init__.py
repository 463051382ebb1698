"""The review page: a small server-rendered web app (Flask, Jinja2, plain HTML forms) where a signed-in reseller
resolves the morning's items through the same functions as the command line."""
