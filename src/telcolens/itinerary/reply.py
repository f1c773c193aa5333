"""The SMS channel's words: the keyword a subscriber texts and the Chinese answer.

A subscriber texts the keyword (``CXMYD`` by default) to the short number and gets back
the cities they stayed in over the index's window. Matching is forgiving about what a
phone keyboard does to five letters: surrounding spaces, lower case and full-width
letters (``ＣＸＭＹＤ``, typed with a Chinese input method) all count as the keyword.
Anything else gets a short help text that names the keyword.
"""

from __future__ import annotations

import unicodedata

from telcolens.itinerary.index import Answer

DEFAULT_KEYWORD = "CXMYD"
CITY_SEPARATOR = "、"


def normalise_text(text: str) -> str:
    """The message as compared with the keyword: NFKC (full width to half), trimmed, upper."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def is_query(text: str, keyword: str = DEFAULT_KEYWORD) -> bool:
    """Whether an incoming message asks for the visited places."""
    return normalise_text(text) == normalise_text(keyword)


def _hours(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def answer_text(answer: Answer) -> str:
    """The reply for one subscriber's answer, in Chinese."""
    window = answer.window
    period = f"您好，您在{window.start.isoformat()}至{window.end.isoformat()}期间"
    stay = f"停留{_hours(window.min_stay_hours)}小时以上"
    if not answer.cities:
        return f"{period}无到达或途经（{stay}）的城市记录。"
    cities = CITY_SEPARATOR.join(visit.city for visit in answer.cities)
    return f"{period}到达或途经（{stay}）：{cities}。"


def help_text(keyword: str = DEFAULT_KEYWORD) -> str:
    """The reply to a message that is not the keyword."""
    return f"查询近14天到达或途经的城市，请发送{normalise_text(keyword)}。"
