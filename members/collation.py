"""Member names sort in pinyin order (阿 陈 李 欧阳 王 张 赵), not by code point.

PostgreSQL: an ICU collation created by migration (members 0012). SQLite (the zero-setup
demo) has no ICU: each connection gets a collation of the same name that compares the
names' pinyin (pypinyin), then the names themselves so that the order is total."""

import functools

from pypinyin import lazy_pinyin

PINYIN_COLLATION = "zh_pinyin"


@functools.lru_cache(maxsize=65536)
def _key(name: str) -> tuple[list[str], str]:
    return lazy_pinyin(name), name


def compare(a: str, b: str) -> int:
    ka, kb = _key(a), _key(b)
    return (ka > kb) - (ka < kb)


def register(sender, connection, **kwargs):
    """connection_created handler: give SQLite connections the pinyin collation."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(PINYIN_COLLATION, compare)
