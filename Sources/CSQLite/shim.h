// SQLite's C API (libsqlite3-dev): the state journal.
#include <sqlite3.h>
