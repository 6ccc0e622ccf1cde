"""Camp nodes: Kultialogo on a laptop or Raspberry Pi at a camp, replicating one community with the central server."""
