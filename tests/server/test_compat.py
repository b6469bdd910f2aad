"""A client written like the original Python one (requests, then aiohttp; docs/bench.md):
requests for the synchronous lookup, aiohttp + asyncio.gather for the
asynchronous one, run against `dockscript serve`. Both must return the
original documented answer for "John"."""
import asyncio
import os
import sys
import unittest

import aiohttp
import requests as reqs

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import Server  # noqa: E402

JOHN = [{"id": "1", "name": "Andy Ziemmer", "salesId": "1"},
        {"id": "2", "name": "Michael Jordan", "salesId": "1"}]


def sync_get_customers_from_sales(host, sales_name):
    with reqs.Session() as session:
        resp = session.get(host + "/users", params={"name": sales_name}, timeout=10)
        sales = resp.json()
        if len(sales) == 0:
            raise ValueError("Sales {} cannot be found from the server".format(sales_name))
        first_matched_id = sales[0]["id"]
        resp = session.get(host + "/customers", params={"salesId": first_matched_id},
                           timeout=10)
        customers = resp.json()
        if len(customers) == 0:
            raise ValueError("Sales {} has no customers!".format(sales_name))
        return customers


async def async_get_customers_from_sales(host, sales_name):
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        resp = await session.get(host + "/users", params={"name": sales_name})
        sales = await resp.json()
        if len(sales) == 0:
            raise ValueError("Sales {} cannot be found from the server".format(sales_name))
        first_matched_id = sales[0]["id"]
        resp = await session.get(host + "/customers", params={"salesId": first_matched_id})
        customers = await resp.json()
        if len(customers) == 0:
            raise ValueError("Sales {} has no customers!".format(sales_name))
        return customers


def asynchronous(host, names):
    async def gather():
        return await asyncio.gather(*[async_get_customers_from_sales(host, n) for n in names])
    return asyncio.run(gather())


class Compat(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--delay", "0.1").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def test_sync_john(self):
        self.assertEqual(sync_get_customers_from_sales(self.srv.url, "John"), JOHN)

    def test_async_john(self):
        self.assertEqual(asynchronous(self.srv.url, ["John"]), [JOHN])

    def test_sync_and_async_agree_on_random_names(self):
        users = reqs.get(self.srv.url + "/users", params={"role": "sales"}, timeout=10).json()
        names = [users[i % len(users)]["name"] for i in range(10)]
        sync_result = [sync_get_customers_from_sales(self.srv.url, n) for n in names]
        self.assertEqual(asynchronous(self.srv.url, names), sync_result)

    def test_errors_like_the_original(self):
        with self.assertRaisesRegex(ValueError, "Sales Nobody cannot be found"):
            sync_get_customers_from_sales(self.srv.url, "Nobody")
        with self.assertRaisesRegex(ValueError, "Sales Jordan has no customers"):
            sync_get_customers_from_sales(self.srv.url, "Jordan")


if __name__ == "__main__":
    unittest.main(verbosity=2)
