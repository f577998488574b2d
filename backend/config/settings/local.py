"""Local development: one machine, SQLite, tasks in-process, console messages."""
from backend.config.env import env_bool

from .base import *  # noqa: F401,F403

DEBUG = env_bool("DJANGO_DEBUG", True)
