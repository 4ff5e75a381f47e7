"""Run ralph's LRS API on its filesystem backend, appending to its statements file.

ralph's filesystem backend creates each file once (``default_operation_type = CREATE``), so a
second POST to the LRS fails with "already exists and overwrite is not allowed"; its data backends
meant for production (Elasticsearch, MongoDB, ClickHouse) append. The one line below makes the
filesystem backend append as they do; everything else (validation, ids, conflicts, queries) is
ralph's own code. Usage: python serve.py HOST PORT (settings from RALPH_* variables).
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
