import sys

from glance.cmd import manage

_orig, _seen = manage.add_legacy_command_parsers, set()


def _once(command_object, subparsers):
    if id(subparsers) not in _seen:
        _seen.add(id(subparsers))
        _orig(command_object, subparsers)


manage.add_legacy_command_parsers = _once
sys.exit(manage.main())
