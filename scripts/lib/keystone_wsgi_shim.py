import sys

_argv = sys.argv
sys.argv = _argv[:1]
try:
    from keystone.wsgi.api import application  # noqa: F401
finally:
    sys.argv = _argv
