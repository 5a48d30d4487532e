"""API fuzzing against its own OpenAPI schema (schemathesis): whatever arrives, never a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from nlp_service.access.keys import create_key
from nlp_service.access.roles import Role
from nlp_service.api.app import create_app


@pytest.fixture(scope="module")
def app_and_key(service):
    return create_app(service), create_key(service.db, "fuzzer", Role.admin)


def test_no_server_errors_on_fuzzed_requests(app_and_key):
    app, key = app_and_key
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    def fuzz(op):
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=op.as_strategy())
        def check(case):
            case.headers = {**(case.headers or {}), "X-API-Key": key}
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{op.method.upper()} {op.path}: {response.status_code} {response.text[:200]}")

        check()

    for result in schema.get_all_operations():
        op = result.ok()
        if op.method.upper() == "DELETE" or op.path.startswith("/v1/keys"):
            continue  # would remove the data or the key the rest of the run needs
        fuzz(op)
    assert not failures, "\n".join(failures[:10])
