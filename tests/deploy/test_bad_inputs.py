"""Bad input: one clear error, exit 2, and nothing built, pushed, applied or recorded.

Side effects are checked where they would land: the emulator (ECR repositories, the ledger in
the state buckets and the old SSM one, ECS clusters), the real registry's catalog, the Docker
engine's images, and build/.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from flotilla.cli import main
from flotilla.local.emulator import Emulator
from flotilla.local.registry import LocalRegistry
from flotilla.process import free_port
from tests.fixtures.base import emulator_client
from tests.fixtures.deploy import registry_catalog, unique_project
from tests.fixtures.environments import write_environment

pytestmark = pytest.mark.docker

ORDERS = """\
name = "orders"
framework = "fastapi"
entry = "orders_service:plugin"
path = "/orders"
version = "1.0.0"
[env]
LOG_LEVEL = "info"
"""
USERS = ORDERS.replace("orders", "users")
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/test"


@pytest.fixture(scope="module")
def project_name() -> str:
    return unique_project()


@pytest.fixture
def proj(
    tmp_path: Path, project_name: str, ecr_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A valid project: two services, environments local/staging/prod."""
    root = tmp_path / "proj"
    for env in ("local", "staging", "prod"):
        https = (
            "" if env == "local" else f'certificate_arn = "{CERTIFICATE}"\n'
        )  # preflight wants it
        write_environment(root, env, https, bucket=f"{project_name}-tfstate-{env}")
    (root / "flotilla.toml").write_text(f'[project]\nname = "{project_name}"\n')
    for name, text in (("orders", ORDERS), ("users", USERS)):
        (root / "services" / name).mkdir(parents=True)
        (root / "services" / name / "service.toml").write_text(text)
        # preflight reads the entry module (statically): it must exist
        (root / "services" / name / f"{name}_service.py").write_text("plugin = None\n")
    monkeypatch.setenv("FLOTILLA_ROOT", str(root))
    plugins = os.environ.get("FLOTILLA_TF_PLUGIN_DIR") or "/opt/tf-plugins"
    monkeypatch.setenv("FLOTILLA_TF_PLUGIN_DIR", plugins)
    return root


def write(rel: str, text: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def apply(root: Path, mp: pytest.MonkeyPatch) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    return apply


def setenv(**values: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def apply(root: Path, mp: pytest.MonkeyPatch) -> None:
        for k, v in values.items():
            mp.setenv(k, v)

    return apply


def add_line(rel: str, line: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def apply(root: Path, mp: pytest.MonkeyPatch) -> None:
        path = root / rel
        path.write_text(path.read_text().replace("[state]", f"{line}\n[state]", 1))

    return apply


def no_credentials(root: Path, mp: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        mp.delenv(key, raising=False)
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "none"))
    mp.setenv("AWS_CONFIG_FILE", str(root / "none"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")


def no_terraform(root: Path, mp: pytest.MonkeyPatch) -> None:
    bindir = root / "bin"
    bindir.mkdir()
    mp.setenv("PATH", str(bindir))


def remove(rel: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def apply(root: Path, mp: pytest.MonkeyPatch) -> None:
        shutil.rmtree(root / rel)

    return apply


def nothing(root: Path, mp: pytest.MonkeyPatch) -> None:
    pass


ORD = "services/orders/service.toml"
CASES: list[tuple[str, Callable[[Path, pytest.MonkeyPatch], None], list[str], str]] = [
    (
        "unknown env",
        nothing,
        ["deploy", "--env", "qa"],
        r"unknown environment 'qa'.*allowed: local, prod, staging",
    ),
    (
        "env path traversal",
        nothing,
        ["deploy", "--env", "../prod"],
        r"unknown environment '\.\./prod'",
    ),
    ("plan unknown env", nothing, ["plan", "--env", "stage"], r"unknown environment 'stage'"),
    (
        "unknown manifest key",
        write(ORD, "replicas = 3\n" + ORDERS),
        ["deploy", "--env", "staging"],
        r"service\.toml: unknown key `replicas`",
    ),
    (
        "bad cpu/memory",
        write(ORD, ORDERS.replace("version", "cpu = 256\nmemory = 4096\nversion")),
        ["deploy", "--env", "staging"],
        r"memory 4096 does not pair with cpu 256",
    ),
    ("invalid toml", write(ORD, "name = \n"), ["deploy", "--env", "staging"], r"not valid TOML"),
    (
        "duplicate paths",
        write("services/users/service.toml", USERS.replace("/users", "/orders")),
        ["deploy", "--env", "staging"],
        r"overlapping paths",
    ),
    (
        "nested paths",
        write("services/users/service.toml", USERS.replace("/users", "/orders/u")),
        ["deploy", "--env", "staging"],
        r"overlapping paths",
    ),
    (
        "name != folder",
        write("services/users/service.toml", USERS.replace('name = "users"', 'name = "people"')),
        ["deploy", "--env", "staging"],
        r"must equal the folder name 'users'",
    ),
    (
        "literal secret",
        write(ORD, ORDERS + '[secrets]\nDB_PASSWORD = "hunter2"\n'),
        ["deploy", "--env", "staging"],
        r"secret values never go in the manifest",
    ),
    (
        "health outside path",
        write(ORD, ORDERS.replace("version", 'health = "/h"\nversion')),
        ["deploy", "--env", "staging"],
        r"key `health` = '/h': must be under path '/orders'",
    ),
    (
        "bad env override",
        write(ORD, ORDERS + "[environments.staging]\ncount = 9\nmax = 4\n"),
        ["deploy", "--env", "staging"],
        r"count 9 must be between min 1 and max 4",
    ),
    ("no services", remove("services"), ["deploy", "--env", "staging"], r"no services found"),
    (
        "bad flotilla.toml",
        write("flotilla.toml", "[project]\nnmae = 'x'\n"),
        ["deploy", "--env", "staging"],
        r"flotilla\.toml: unknown key `project\.nmae`",
    ),
    (
        "missing credentials",
        no_credentials,
        ["deploy", "--env", "staging"],
        r"AWS credentials do not work",
    ),
    (
        "unreachable AWS endpoint",
        setenv(AWS_ENDPOINT_URL="http://127.0.0.1:9"),
        ["deploy", "--env", "staging"],
        r"AWS credentials do not work at http://127\.0\.0\.1:9",
    ),
    (
        "bad registry override",
        setenv(FLOTILLA_REGISTRY="http://127.0.0.1:5000/x"),
        ["deploy", "--env", "staging"],
        r"FLOTILLA_REGISTRY='http://127\.0\.0\.1:5000/x' must be host",
    ),
    (
        "terraform missing",
        no_terraform,
        ["deploy", "--env", "staging"],
        r"terraform is not on PATH",
    ),
    (
        "empty plugin dir",
        lambda root, mp: (
            root.joinpath("plugins").mkdir(),
            mp.setenv("FLOTILLA_TF_PLUGIN_DIR", str(root / "plugins")),
        ),
        ["deploy", "--env", "staging"],
        r"holds no hashicorp/aws provider",
    ),
    (
        "docker daemon down",
        setenv(DOCKER_HOST="unix:///nonexistent/docker.sock"),
        ["deploy", "--env", "staging"],
        r"Docker daemon is not reachable",
    ),
    (
        "zero timeout",
        nothing,
        ["deploy", "--env", "staging", "--timeout", "0"],
        r"--timeout 0: must be a positive number",
    ),
    (
        "rollback unknown service",
        nothing,
        ["rollback", "nope", "--env", "staging"],
        r"nope was never deployed to staging; nothing to roll back to "
        r"\(services with releases there: none\)",
    ),
    (
        "rollback never deployed",
        nothing,
        ["rollback", "orders", "--env", "staging"],
        r"orders was never deployed to staging",
    ),
    (
        "rollback --to unknown tag",
        nothing,
        ["rollback", "orders", "--env", "staging", "--to", "v9.9.9"],
        r"tag 'v9\.9\.9' does not exist in repository .*/orders",
    ),
    (
        "rollback --to without service",
        nothing,
        ["rollback", "--env", "staging", "--to", "v1"],
        r"--to TAG needs a SERVICE",
    ),
    (
        "rollback without a service",
        nothing,
        ["rollback", "--env", "staging"],
        r"rollback needs a SERVICE, or --all to roll back every service",
    ),
    (
        "rollback a service and --all",
        nothing,
        ["rollback", "orders", "--all", "--env", "staging"],
        r"give SERVICE \(orders\) or --all, not both",
    ),
    (
        "deploy --unpin unknown service",
        nothing,
        ["deploy", "--env", "staging", "--unpin", "nope"],
        r"--unpin nope: no such service; known: orders, users",
    ),
    (
        "releases unknown service",
        nothing,
        ["releases", "nope", "--env", "staging"],
        r"unknown service 'nope'",
    ),
    ("status unknown env", nothing, ["status", "--env", "qa"], r"unknown environment 'qa'"),
    (
        "env destroy unknown env",
        nothing,
        ["env", "destroy", "qa", "--yes", "--allow-destroy"],
        r"unknown environment 'qa'",
    ),
    (
        "promote unknown source",
        nothing,
        ["promote", "--from", "qa", "--to", "prod"],
        r"unknown environment 'qa'.*allowed: local, prod, staging",
    ),
    (
        "credentials of another account than the environment's",
        add_line("environments/staging.toml", 'account_id = "111111111111"'),
        ["deploy", "--env", "staging"],
        r"environments/staging\.toml: key `account_id` = '111111111111': environment 'staging' "
        r"is account 111111111111, but the AWS credentials are for account 123456789012",
    ),
    (
        "a role_arn in another account than account_id",
        add_line(
            "environments/prod.toml",
            'account_id = "111111111111"\nrole_arn = "arn:aws:iam::222222222222:role/deploy"',
        ),
        ["deploy", "--env", "prod"],
        r"environments/prod\.toml: key `role_arn` = 'arn:aws:iam::222222222222:role/deploy': "
        r"names another account than account_id '111111111111'",
    ),
    (
        "promote to itself",
        nothing,
        ["promote", "--from", "prod", "--to", "prod"],
        r"--from and --to are both 'prod': nothing to promote",
    ),
    (
        "promote what never passed staging",
        nothing,
        ["promote", "--from", "staging", "--to", "prod"],
        r"orders, users: no release in staging; promote deploys only what passed staging",
    ),
]


def snapshot(project: str, registry: LocalRegistry, root: Path, docker: Any) -> dict[str, Any]:
    ecr, ssm, ecs, s3 = (
        boto3.client(s, endpoint_url=os.environ.get("FLOTILLA_TEST_AWS"))
        for s in ("ecr", "ssm", "ecs", "s3")
    )
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(project)]
    return {
        "state buckets": {
            b: [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]
            for b in sorted(buckets)
        },
        "repos": sorted(
            r["repositoryName"]
            for r in ecr.describe_repositories()["repositories"]
            if r["repositoryName"].startswith(project)
        ),
        "ledger": ssm.get_parameters_by_path(Path=f"/flotilla/{project}", Recursive=True)[
            "Parameters"
        ],
        "clusters": sorted(ecs.list_clusters()["clusterArns"]),
        "registry": [r for r in registry_catalog(registry) if r.startswith(project)],
        "images": sorted(t for i in docker.images.list() for t in i.tags if t.startswith(project)),
        "build": (root / "build").exists(),
    }


@pytest.mark.parametrize(("case", "mutate", "argv", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_error_with_no_side_effects(
    case: str,
    mutate: Callable[[Path, pytest.MonkeyPatch], None],
    argv: list[str],
    message: str,
    proj: Path,
    project_name: str,
    registry: LocalRegistry,
    docker_engine: Any,
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FLOTILLA_TEST_AWS", aws_env["AWS_ENDPOINT_URL"])
    before = snapshot(project_name, registry, proj, docker_engine)
    with monkeypatch.context() as mp:
        mutate(proj, mp)
        with pytest.raises(SystemExit) as exc:
            main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert err.count("error:") == 1 and "Traceback" not in err, err
    import re

    assert re.search(message, " ".join(err.split())), err
    assert snapshot(project_name, registry, proj, docker_engine) == before


@pytest.fixture(scope="module")
def strict_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A moto server of its own that enforces IAM after its first two requests (the test's
    setup: a user and its access key), so that an AssumeRole can really be refused."""
    emu = Emulator(
        port=free_port(),
        log_path=tmp_path_factory.mktemp("strict-moto") / "moto.log",
        settings={"INITIAL_NO_AUTH_ACTION_COUNT": "2"},
    ).start()
    yield emu
    emu.stop()


def test_a_role_the_caller_cannot_assume_is_exit_2_naming_the_role(
    proj: Path,
    project_name: str,
    registry: LocalRegistry,
    docker_engine: Any,
    aws_env: dict[str, str],
    strict_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """prod's file names a role; the caller (a user with no policy) may not assume it. The
    deploy stops at the AssumeRole, before anything is built, pushed or applied."""
    monkeypatch.setenv("FLOTILLA_TEST_AWS", aws_env["AWS_ENDPOINT_URL"])
    before = snapshot(project_name, registry, proj, docker_engine)
    iam = emulator_client(strict_emulator, "iam")
    iam.create_user(UserName="ci-without-rights")
    key = iam.create_access_key(UserName="ci-without-rights")["AccessKey"]
    role = "arn:aws:iam::222222222222:role/flotilla-deploy"
    add_line("environments/prod.toml", f'role_arn = "{role}"')(proj, monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL", strict_emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["deploy", "--env", "prod"])
    err = " ".join(capsys.readouterr().err.split())
    assert exc.value.code == 2, err
    assert err.count("error:") == 1 and "Traceback" not in err, err
    assert f"environments/prod.toml: key `role_arn` = '{role}': cannot assume role {role}" in err
    assert "AccessDenied" in err and "nothing was built or applied" in err, err
    assert snapshot(project_name, registry, proj, docker_engine) == before
