"""`seatctl smoke`: a deployment checked for CI in a bounded time. A library: nothing here
prints; the command renders the report, its JSON, JUnit XML and GitHub annotations.

    plan = SmokePlan("https://api.example.com", max_time=60)
    report = run_smoke(plan, SmokeEnvironment(client_config))
    report.passed, report_json(report), junit_xml(report), workflow_commands(report)

Modules: run (the plan and the run), checks (health, latency, auth, the booking round
trip, through the HTTP core), keepalive (one idle connection watched for the whole run,
judged against its advertised Keep-Alive timeout and --min-idle), attempts (every HTTP
attempt, for warnings about retried failures), report (the results and JSON), junit,
annotations.
"""

from seatctl.smoke.annotations import github_actions, workflow_commands
from seatctl.smoke.checks import Login
from seatctl.smoke.junit import junit_xml
from seatctl.smoke.keepalive import DEFAULT_MIN_IDLE, MAX_MIN_IDLE
from seatctl.smoke.report import (
    CHECK_NAMES,
    SCHEMA,
    CheckResult,
    CheckStatus,
    SmokeReport,
    report_json,
)
from seatctl.smoke.run import (
    DEFAULT_MAX_LATENCY_MS,
    DEFAULT_MAX_TIME,
    SmokeEnvironment,
    SmokePlan,
    run_smoke,
)

__all__ = [
    "CHECK_NAMES",
    "DEFAULT_MAX_LATENCY_MS",
    "DEFAULT_MAX_TIME",
    "DEFAULT_MIN_IDLE",
    "MAX_MIN_IDLE",
    "SCHEMA",
    "CheckResult",
    "CheckStatus",
    "Login",
    "SmokeEnvironment",
    "SmokePlan",
    "SmokeReport",
    "github_actions",
    "junit_xml",
    "report_json",
    "run_smoke",
    "workflow_commands",
]
