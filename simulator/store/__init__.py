"""Session persistence in SQLite: every turn is committed as it is played.

One job per module: `database` opens the file and writes sessions turn by turn (`Store`),
`reading` reads them back, `merging` merges sessions from another machine, `ledger` keeps
what each learning record store holds, `schema` holds the tables and their migrations, and
`records` the values and row codecs they share.
"""
from .database import LOCK_WAIT_S, Store, default_db_path, store_problem
from .ledger import lrs_key
from .records import MODES, SCRIPTED_MODES, SessionSummary, StoredSession, fold_name, utc_now
from .schema import SCHEMA_VERSION, StoreError

__all__ = ["Store", "StoredSession", "SessionSummary", "default_db_path", "utc_now", "fold_name", "lrs_key", "SCHEMA_VERSION", "StoreError", "SCRIPTED_MODES", "MODES", "LOCK_WAIT_S", "store_problem"]
