"""A real botocore SQS client that speaks the Query protocol, for tests.

Owns: writing densho's ``sqs-query`` model (botocore's SQS model + ``sqs-query.json`` overlay, with
Query error codes) where a private botocore ``Loader`` finds it before the built-in JSON model, and
building clients from it. The client signs as service ``sqs`` and parses responses with botocore's
own Query parser, so it checks densho's XML exactly as an old SDK would.

Must not know: densho's server or providers; it is an ordinary AWS client.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

from densho.protocol.loader import SQS_API_VERSION, sqs_query_model_dict


@functools.cache
def _model_root() -> str:
    root = Path(tempfile.mkdtemp(prefix="densho-sqs-query-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    target = root / "sqs" / SQS_API_VERSION
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(sqs_query_model_dict()), "utf-8")
    return str(root)


def make_sqs_query_client(
    endpoint_url: str,
    region: str = "us-east-1",
    *,
    access_key: str = "test",
    secret_key: str = "test",
    session_token: str | None = None,
    verify: str | None = None,
) -> Any:
    """A botocore ``sqs`` client using the Query protocol (credentials ``test``/``test`` unless
    given); ``verify``: the CA bundle an https endpoint's certificate is checked against."""
    session = botocore.session.Session()
    # Our directory first: its sqs/2012-11-05/service-2.json shadows the JSON model for this
    # session only; endpoint rules and everything else still come from botocore's own data.
    session.register_component("data_loader", Loader(extra_search_paths=[_model_root()]))
    return session.create_client(
        "sqs",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        verify=verify,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=45),
    )
