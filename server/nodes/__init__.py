"""Camp nodes: Kultialogo on a laptop or Raspberry Pi at a camp, replicating one community with the central server.

Pages: /admin/nodes on the central server (node tokens, conflicts), /node and /node/admin on a
node (the address phones open; the link, the sync's progress, conflicts).
"""
from flask import Blueprint

bp = Blueprint("nodes", __name__)

from . import routes  # noqa: E402,F401
