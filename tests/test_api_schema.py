"""The API keeps its specification: Schemathesis generates requests from the served
/api/v1/openapi.json (valid ones and broken ones) and checks every answer: no server
error, a status the operation declares, the declared content type and a body matching
the declared schema. Bounded and derandomized: the same cases on every run."""

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_support import api_admin, make_token  # noqa: F401 - fixtures
from tests.test_api_tokens import seed_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def api_schema(app, api_admin, make_user):  # noqa: F811 - the fixture
    """The served specification, on a database with one of each object (so that the
    GETs by id of small ids find something), and a token of every scope."""
    app.config["API_RATE_LIMIT"] = "1000000 per minute"  # thousands of calls in one run
    app.config["SCHEMA_TEST_TOKEN"] = make_token(api_admin, days=300)
    app.config["SCHEMA_TEST_IDS"] = seed_world(api_admin, make_user("cora", role="teacher"),
                                               make_user("lea"))
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


# The pytest plugin's lazy loader does not run under this pytest: each operation is run
# through Hypothesis here instead, in both generation modes.
# No shrinking: a failure is reported as found (with its curl line), and the run stays short.
SETTINGS = hypothesis.settings(max_examples=20, derandomize=True, deadline=None, database=None,
                               suppress_health_check=list(HealthCheck),
                               report_multiple_bugs=False,
                               phases=[Phase.explicit, Phase.reuse, Phase.generate])
# Generated ids name nothing (404): the third run puts the seeded objects' ids in the path,
# so the answers of success (their bodies, headers and types) are checked too.
MODES = ("positive", "negative", "existing objects")


def _strategy(operation, mode: str, ids: dict):
    if mode == "existing objects":
        names = [name for name in ids if "{" + name + "}" in operation.path]
        if not names:
            return None
        return operation.as_strategy(GenerationMode.POSITIVE,
                                     path_parameters={name: ids[name] for name in names})
    return operation.as_strategy(GenerationMode(mode))


def _run(operation, mode: str, token: str, ids: dict) -> None:
    strategy = _strategy(operation, mode, ids)
    if strategy is None:
        return

    @SETTINGS
    @hypothesis.given(case=strategy)
    def run(case):
        # identity: over WSGI the body reaches schemathesis as the app wrote it, compressed
        # if asked (an HTTP client would decode it); compression is tested apart.
        case.call_and_validate(headers={"Authorization": f"Bearer {token}",
                                        "Accept-Encoding": "identity"}, checks=CHECKS)

    run()


def test_the_api_keeps_its_specification(api_schema, app):
    token = app.config["SCHEMA_TEST_TOKEN"]
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in MODES:
            try:
                _run(operation, mode, token, app.config["SCHEMA_TEST_IDS"])
            # Failed checks, and server exceptions (re-raised by the WSGI transport): every
            # operation is reported, with the request that failed (in the notes).
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001
                notes = "\n".join(getattr(failure, "__notes__", ()))
                failures.append(f"{operation.label} ({mode}): {type(failure).__name__}: "
                                f"{failure}\n{notes}")
    assert operations >= 5, "the specification lists the endpoints"
    assert failures == [], "\n\n".join(failures)
