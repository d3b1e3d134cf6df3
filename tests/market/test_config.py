import pytest

from market.config import ConfigError, Settings


def base_env(tmp_path, **extra):
    return {"MARKET_DATA_DIR": str(tmp_path), **extra}


def test_defaults_use_the_data_dir(tmp_path):
    s = Settings.from_env(base_env(tmp_path))
    assert s.database_url == f"sqlite:///{tmp_path / 'market.db'}"
    assert s.search_url == ""
    assert len(s.secret_key) >= 32


def test_secret_is_generated_once_and_reused(tmp_path):
    first = Settings.from_env(base_env(tmp_path)).secret_key
    assert Settings.from_env(base_env(tmp_path)).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("var", "value", "fragment"), [
    ("MARKET_DATABASE_URL", "mysql://x/y", "MARKET_DATABASE_URL"),
    ("MARKET_SEARCH_URL", "ftp://search", "MARKET_SEARCH_URL"),
    ("MARKET_SECRET_KEY", "short", "MARKET_SECRET_KEY"),
    ("MARKET_LOGIN_MAX_FAILURES", "many", "MARKET_LOGIN_MAX_FAILURES"),
    ("MARKET_LOGIN_MAX_FAILURES", "0", "between"),
    ("MARKET_SECURE_COOKIES", "maybe", "MARKET_SECURE_COOKIES"),
    ("MARKET_STRIPE_API_BASE", "localhost:12111", "MARKET_STRIPE_API_BASE"),
])
def test_bad_values_name_the_variable(tmp_path, var, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        Settings.from_env(base_env(tmp_path, **{var: value}))


def test_unwritable_data_dir_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="MARKET_DATA_DIR"):
        Settings.from_env({"MARKET_DATA_DIR": str(blocker / "sub")})


def test_cli_reports_bad_config_in_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "market", "init-db"], check=False, capture_output=True, text=True,
                          env={"MARKET_DATA_DIR": str(tmp_path), "MARKET_DATABASE_URL": "oracle://db", "PATH": ""})
    assert proc.returncode != 0
    assert "MARKET_DATABASE_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_option_is_documented():
    described = dict(Settings.describe())
    assert {"MARKET_DATA_DIR", "MARKET_DATABASE_URL", "MARKET_SEARCH_URL", "MARKET_SECRET_KEY"} <= set(described)
    assert all(described.values())
