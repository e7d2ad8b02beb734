"""Paste filter for Keystone-less test regions: fills in the headers keystonemiddleware would set,
so a request without them acts as an admin of project "admin". A request may act as another project
by sending X-Project-Id / X-User-Id / X-Roles itself."""


def filter_factory(global_conf, **local_conf):
    defaults = {
        'HTTP_X_IDENTITY_STATUS': 'Confirmed',
        'HTTP_X_PROJECT_ID': 'admin',
        'HTTP_X_TENANT_ID': 'admin',
        'HTTP_X_USER_ID': 'admin',
        'HTTP_X_ROLES': 'admin,member,reader',
    }

    def _filter(app):
        def middleware(environ, start_response):
            if 'HTTP_X_PROJECT_ID' in environ:
                environ.setdefault('HTTP_X_TENANT_ID', environ['HTTP_X_PROJECT_ID'])
            for key, value in defaults.items():
                environ.setdefault(key, value)
            return app(environ, start_response)
        return middleware
    return _filter
