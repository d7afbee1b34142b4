"""Store options of `imageshare serve`: --no-migrate refuses an unmigrated store and names what is pending."""
import subprocess
import tempfile
from pathlib import Path

from conftest import binary_path, fresh_database_url, free_port, running_server, wait_for_binary


def serve_argv(data_dir: Path, database, *extra):
    argv = [str(wait_for_binary()), "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--data-dir", str(data_dir)]
    if database:
        argv += ["--database", database]
    return argv + list(extra)


def test_no_migrate_refuses_a_new_store_and_names_the_pending_migrations():
    with tempfile.TemporaryDirectory() as tmp:
        database = fresh_database_url()
        proc = subprocess.run(serve_argv(Path(tmp), database, "--no-migrate"),
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert proc.returncode != 0
        assert "001_accounts_and_keys" in proc.stderr and "002_images_instances_disks" in proc.stderr, proc.stderr
        assert "AccessKeySecret" not in proc.stdout  # nothing was created


def test_no_migrate_starts_on_a_migrated_store():
    with running_server(prefix="imageshare-migrated-") as server:
        server.stop_cleanly()
        server.serve_args = ("--no-migrate",)
        server.start()
        server.client("v3").call("DescribeRegions", {})


def test_bad_database_url_is_a_usage_error():
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(serve_argv(Path(tmp), "mysql://nope"), capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0
        assert "postgres://" in proc.stderr
