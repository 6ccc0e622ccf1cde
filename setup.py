"""Package layout only; all metadata is in pyproject.toml.

The design card puts the app in server/, migrations/, pwa/ and service-worker/ at the top
level, while an installed app needs them in one import package (`kultialogo`) so that
`pip install .` gives a working command with migrations and the shell. The subpackages of
server/ are found automatically so a new domain package can never be left out of the wheel.
"""
from setuptools import find_packages, setup

server_packages = ["kultialogo"] + [f"kultialogo.{name}" for name in find_packages("server")]

setup(
    package_dir={
        "kultialogo": "server",
        "kultialogo.migrations": "migrations",
        "kultialogo.pwa": "pwa",
        "kultialogo.service_worker": "service-worker",
    },
    packages=server_packages + [
        "kultialogo.migrations",
        "kultialogo.migrations.versions",
        "kultialogo.pwa",
        "kultialogo.service_worker",
    ],
)
