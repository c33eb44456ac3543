"""The OpenAPI 3.1 document of the tickets and chat APIs, read once from openapi.yml next to
this file.

Topics, channels and VIP levels are the installation's (support.yml can be replaced), so the
served document names them from the support configuration.
"""

import copy
from functools import cache
from pathlib import Path

import yaml

from helpcenter import support

DOCUMENT = Path(__file__).with_name("openapi.yml")


@cache
def document() -> dict:
    """The document as written, parsed on first use and kept for the life of the process."""
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def for_installation() -> dict:
    """The document with this installation's topic and channel ids and VIP levels as enums."""
    served = copy.deepcopy(document())
    fields = served["components"]["schemas"]["NewTicket"]["properties"]
    config = support.current()
    for name, ids in (
        ("topic", [t.id for t in config.topics]),
        ("channel", [c.id for c in config.channels]),
    ):
        fields[name].pop("examples", None)
        fields[name]["enum"] = [*ids, None]
    # A chat names its topic (never null).
    chat_topic = served["components"]["schemas"]["NewChat"]["properties"]["topic"]
    chat_topic.pop("examples", None)
    chat_topic["enum"] = [t.id for t in config.topics]
    vip = served["components"]["schemas"]["Vip"]
    vip.pop("examples", None)
    vip["enum"] = [*config.vip_levels, "", None]  # empty or null: no level
    return served
