"""The WSGI application for servers that import one (gunicorn, uWSGI, mod_wsgi):

    gunicorn -c python:kultialogo.gunicorn_conf kultialogo.wsgi:app

Configured from the environment like `kultialogo run` (server/config.py). Migrations are not run
here: every worker would race to run them; run `kultialogo db upgrade` once before starting.
"""
import gc

from . import collector, create_app

app = create_app()
# What start-up made lives as long as the worker: out of the collector's sight (cli.freeze_startup_objects).
gc.collect()
gc.freeze()
# CPython 3.11: collections only from a thread of their own, never inside another allocation
# (collector.py: the SIGSEGV of gunicorn workers under load). Each worker imports this module
# after the fork (preload_app is off), so the thread is its own.
collector.start()
