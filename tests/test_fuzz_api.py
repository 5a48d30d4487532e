"""API fuzzing against its own OpenAPI schema (schemathesis): whatever arrives, with whichever key, never a 5xx.

Every operation is fuzzed, DELETE and /v1/keys included, on a service of its own (so deleting items or keys
cannot disturb other tests), with an admin, a staff and a submitter key and with a key that does not exist.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from nlp_service.access.keys import create_key
from nlp_service.access.roles import Role
from nlp_service.api.app import create_app

EXAMPLES = {"admin": 12, "staff": 4, "submitter": 4, "nobody": 2}


@pytest.fixture(scope="module")
def fuzz_service(service, tmp_path_factory):
    from nlp_service.service import Service
    from nlp_service.settings import Settings

    s = service.settings
    svc = Service(Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "data", models_dir=s.models_dir,
                           corpora_dir=s.corpora_dir, embedding_model=s.embedding_model))
    svc.__dict__.update(pipeline=service.pipeline, encoder=service.encoder)
    svc.ops.setup(log=lambda _m: None)  # the corpus into its own database; the models are shared, read-only
    return svc


def test_no_server_errors_on_fuzzed_requests(fuzz_service):
    app = create_app(fuzz_service)
    keys = {r.value: create_key(fuzz_service.db, f"fuzzer-{r.value}", r) for r in Role} | {"nobody": "nlp_nope"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, calls = [], [0]

    def fuzz(op, who):
        @settings(max_examples=EXAMPLES[who], deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True)
        @given(case=op.as_strategy())
        def check(case):
            key = keys[who]
            if op.path.startswith("/v1/keys") and op.method.upper() == "DELETE" and "fuzzer" in str(case.path_parameters):
                return  # revoking the fuzzer's own keys would end the run, not find a bug
            case.headers = {**(case.headers or {}), "X-API-Key": key}
            response = case.call(timeout=300)  # 5xx is the question here; speed is bench/'s
            calls[0] += 1
            if response.status_code >= 500:
                failures.append(f"{who}: {op.method.upper()} {op.path}: {response.status_code} {response.text[:200]}")

        check()

    ops = [r.ok() for r in schema.get_all_operations()]
    assert any(op.method.upper() == "DELETE" for op in ops) and any(op.path == "/v1/keys" for op in ops)
    for op in ops:
        for who in EXAMPLES:
            fuzz(op, who)
    assert calls[0] > 100
    assert not failures, "\n".join(failures[:10])
