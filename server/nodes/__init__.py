"""Camp nodes: a laptop that serves a camp offline and hands its data to central later (issue #15)."""
