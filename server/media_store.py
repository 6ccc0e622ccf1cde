"""Content-addressed media store (filled by the tus upload endpoint).

Until uploads are implemented there are no stored files, so nothing is reported as present.
"""


def stored_hashes(hashes) -> set[str]:
    return set()
