"""Package layout only; all metadata is in pyproject.toml.

The design card puts the app in server/, migrations/, pwa/ and service-worker/ at the top
level, while an installed app needs them in one import package (`kultialogo`) so that
`pip install .` gives a working command with migrations and the shell.

Every folder of those trees is listed as a package, the ones holding only data (templates,
catalogs, the shell's css/js/icons) too: setuptools ships data files only inside packages and
warns about every folder it would otherwise have to guess at. Found, not written out, so a new
domain package or template folder can never be left out of the wheel. Which files of each
folder ship is [tool.setuptools.package-data] in pyproject.toml.
"""
from setuptools import find_namespace_packages, setup

FOLDERS = {
    "kultialogo": "server",
    "kultialogo.migrations": "migrations",
    "kultialogo.pwa": "pwa",
    "kultialogo.service_worker": "service-worker",
}


def tree(package: str, folder: str) -> list[str]:
    below = find_namespace_packages(folder, exclude=["__pycache__", "*.__pycache__", "*egg-info*"])
    return [package] + [f"{package}.{name}" for name in below if f"{package}.{name}" not in FOLDERS]


setup(
    package_dir=FOLDERS,
    packages=sorted({name for package, folder in FOLDERS.items() for name in tree(package, folder)}),
)
