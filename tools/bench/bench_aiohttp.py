#!/usr/bin/python3
"""The aiohttp side of tools/bench/bench_client.sh: COUNT GETs of URL with one
session limited to LIMIT connections, through asyncio.gather; prints req/s
as JSON. Every answer is checked: a status other than 200 or a failed
request means no figures (the reason on stderr, exit 1).

    /usr/bin/python3 tools/bench/bench_aiohttp.py URL [COUNT] [LIMIT]
"""
import asyncio
import sys
import time

import aiohttp


def describe(e):
    return "%s: %s" % (type(e).__name__, e)


async def main(url, count, limit):
    conn = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(connector=conn) as session:
        async def one():
            async with session.get(url) as r:
                await r.read()
                return r.status

        warm = await one()
        if warm != 200:
            return "%s answers HTTP %d, not 200" % (url, warm)
        t0 = time.monotonic()
        answers = await asyncio.gather(*[one() for _ in range(count)],
                                       return_exceptions=True)
        dt = time.monotonic() - t0
    failed = [a for a in answers if a != 200]
    if failed:
        first = failed[0]
        why = "HTTP %d" % first if isinstance(first, int) else describe(first)
        return "%d of %d requests failed; first: %s" % (len(failed), count, why)
    print('{"requests": %d, "seconds": %.3f, "rps": %.1f, "errors": 0}'
          % (count, dt, count / dt))
    return None


if __name__ == "__main__":
    url = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    try:
        error = asyncio.run(main(url, count, limit))
    except aiohttp.ClientError as e:
        error = describe(e)
    if error:
        print("bench_aiohttp.py: " + error, file=sys.stderr)
        sys.exit(1)
