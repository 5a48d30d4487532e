"""The staff web page: a server-rendered shell and a little JavaScript that calls the JSON API.

``nlp_service.web.router.router`` serves it; ``nlp_service.api.app.create_app`` includes it.
"""
