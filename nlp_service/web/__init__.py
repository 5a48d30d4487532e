"""The staff web page's files: a server-rendered template and the static JavaScript and CSS it loads.

``nlp_service.api.web`` serves them (only ``api/`` imports FastAPI).
"""
