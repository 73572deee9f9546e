"""``python -m migrator.compat``: the ``migrator gateway`` command on its own."""

from migrator.compat.command import gateway

if __name__ == "__main__":
    gateway(prog_name="migrator gateway")
