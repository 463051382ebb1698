"""The morning exceptions report: gathered from the database into a plain value, rendered as text and HTML.

`gather.py` reads, `model.py` holds the value, `text.py` and `html.py` are pure renderers, `sending.py` is the
`send_report` job.
"""
