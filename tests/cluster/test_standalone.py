"""The same results on a Spark standalone cluster as on DuckDB.

The driver runs in a fresh Python: a SparkSession is one per process, and other tests
may have made a local one in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.cluster.conftest import Cluster

pytestmark = [pytest.mark.spark, pytest.mark.cluster, pytest.mark.slow]

DRIVER_TIMEOUT_S = 240
EXECUTOR_MEMORY_MB = 512
OUTPUTS = ("profile", "features")

# The CLI's own commands, one process, so both Spark runs share one application.
DRIVER = """
import sys
from pyspark.sql import SparkSession
from telcolens.cli import app

data, out = sys.argv[1:]
for engine in ("duckdb", "spark"):
    for name, command in (("profile", ["profile"]), ("features", ["antifraud", "features"])):
        args = [*command, "--data", data, "--out", f"{out}/{name}-{engine}.parquet"]
        code = app([*args, "--engine", engine], prog_name="telcolens", standalone_mode=False)
        if code:
            sys.exit(code)
print("spark master:", SparkSession.getActiveSession().sparkContext.master)
"""


@pytest.fixture(scope="module")
def cluster_run(spark_cluster: Cluster, province: Path, tmp_path_factory) -> dict:
    """Profile and features of the province on DuckDB and on the cluster; what ran where."""
    out = tmp_path_factory.mktemp("cluster-run")
    env = {
        **spark_cluster.env,
        "TELCOLENS_SPARK_MASTER": spark_cluster.url,
        "TELCOLENS_SPARK_DRIVER_MEMORY": "1g",
        # Fits two executors into the two 1 GiB workers with room to spare.
        "SPARK_CONF_DIR": str(_spark_conf_dir(out)),
    }
    cmd = [sys.executable, "-c", DRIVER, str(province), str(out)]
    try:
        done = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the driver ran past {DRIVER_TIMEOUT_S} s\n{spark_cluster.log_tails()}")
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-5000:]}"
    return {
        "out": out,
        "stdout": done.stdout,
        "apps": _completed_apps(spark_cluster),
        "executor_logs": [
            "".join(log.read_text() for log in sorted(d.glob("app-*/*/stderr")))
            for d in spark_cluster.worker_dirs
        ],
    }


def _spark_conf_dir(out: Path) -> Path:
    """A ``spark-defaults.conf``, as a deployment would configure its cluster's executors."""
    conf = out / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(f"spark.executor.memory {EXECUTOR_MEMORY_MB}m\n")
    return conf


def _completed_apps(cluster: Cluster) -> list[dict]:
    # The master marks an application completed shortly after its driver has gone.
    deadline = time.monotonic() + 30
    while (apps := cluster.state()["completedapps"]) == [] and time.monotonic() < deadline:
        time.sleep(0.5)
    return apps


def test_the_driver_ran_on_the_cluster(cluster_run, spark_cluster):
    assert f"spark master: {spark_cluster.url}" in cluster_run["stdout"]
    [app] = cluster_run["apps"]
    assert app["name"] == "telcolens"
    assert app["state"] == "FINISHED"
    assert app["memoryperexecutor"] == EXECUTOR_MEMORY_MB  # the deployment's setting held
    # Each worker ran an executor of it, and each executor ran tasks, reading the province
    # by the same local path (both workers are on this machine).
    logs = cluster_run["executor_logs"]
    assert all(logs), json.dumps(cluster_run["apps"])
    assert all("Finished task" in log for log in logs)


@pytest.mark.parametrize("name", OUTPUTS)
def test_same_results_as_duckdb(cluster_run, name):
    duck = pq.read_table(cluster_run["out"] / f"{name}-duckdb.parquet")
    spark = pq.read_table(cluster_run["out"] / f"{name}-spark.parquet")

    assert duck.schema.equals(spark.schema, check_metadata=False)
    assert duck.num_rows > 1000
    duck, spark = (_by_subscriber(t.to_pandas()) for t in (duck, spark))
    # Sums of doubles may be added in another order across executors.
    pd.testing.assert_frame_equal(duck, spark, check_exact=False, rtol=1e-9)


def _by_subscriber(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("subscriber_id", kind="stable").reset_index(drop=True)
