#!/usr/bin/python3
"""The aiohttp side of scripts/bench_client.sh: COUNT GETs of URL with one
session limited to LIMIT connections, through asyncio.gather; prints req/s.

    /usr/bin/python3 scripts/bench_aiohttp.py URL [COUNT] [LIMIT]
"""
import asyncio
import sys
import time

import aiohttp


async def main(url, count, limit):
    conn = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(connector=conn) as session:
        async def one():
            async with session.get(url) as r:
                await r.read()
                return r.status

        await one()
        t0 = time.monotonic()
        statuses = await asyncio.gather(*[one() for _ in range(count)])
        dt = time.monotonic() - t0
    errors = sum(1 for s in statuses if s != 200)
    print('{"requests": %d, "seconds": %.3f, "rps": %.1f, "errors": %d}'
          % (count, dt, count / dt, errors))


if __name__ == "__main__":
    url = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    asyncio.run(main(url, count, limit))
