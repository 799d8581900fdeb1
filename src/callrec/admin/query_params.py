"""Every admin query parameter takes one value.

Starlette keeps the last of a repeated parameter, so ``?caller=a&caller=b`` would search for
``b`` alone without a word; the admin API refuses it instead, naming the parameter.
"""

from __future__ import annotations

from starlette.requests import Request

from callrec.admin.problems import Problem


def single_query_values(request: Request) -> None:
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            raise Problem(422, f"{name} is given more than once; give it once", name)
        seen.add(name)
