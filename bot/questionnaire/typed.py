"""Typed words that sound like a cramp happening now ("my leg hurts so much what do I do").

Someone typing that at 3 a.m. needs what helps during a cramp before anything else, so the
fallback reply leads with it. Deliberately simple: a cramp word, or a body part together with
a pain word. A false alarm costs one kind paragraph; a miss costs the tip.
"""

from __future__ import annotations

import re

_WHAT = re.compile(
    r"\b(cramp\w*|spasm\w*|charley ?horse|leg|legs|calf|calves|foot|feet|toe|toes|thigh|"
    r"thighs|muscle|muscles)\b"
)
# Now, and it hurts: "two cramps, both short" (last night, for the diary) is not meant.
_NOW = re.compile(
    r"\b(now|hurts?|hurting|pain\w*|agony|help|stuck|won'?t stop|can'?t|so bad|so much|"
    r"what (do|should|can) i do|(have|having|got) an? cramp)\b"
)


def sounds_like_cramp_now(text: str) -> bool:
    words = text.lower()
    return bool(_WHAT.search(words) and _NOW.search(words))
