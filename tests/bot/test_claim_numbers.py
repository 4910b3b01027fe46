"""Claim numbers: format, sequence per year, uniqueness under concurrent transactions."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from bot.store.db import unit_of_work


def _take(url: str, year: int) -> str:
    with unit_of_work(url) as uow:
        number = uow.claims.next_claim_number(year)
        uow.commit()
        return number


def test_sequence_and_format(db_url: str) -> None:
    numbers = [_take(db_url, 2026) for _ in range(3)]
    assert numbers == ["CLM-2026-000001", "CLM-2026-000002", "CLM-2026-000003"]
    assert all(re.fullmatch(r"CLM-\d{4}-\d{6}", n) for n in numbers)


def test_each_year_counts_from_one(db_url: str) -> None:
    assert _take(db_url, 2026) == "CLM-2026-000001"
    assert _take(db_url, 2027) == "CLM-2027-000001"
    assert _take(db_url, 2026) == "CLM-2026-000002"


def test_numbers_in_one_transaction_are_distinct(db_url: str) -> None:
    with unit_of_work(db_url) as uow:
        first, second = uow.claims.next_claim_number(2026), uow.claims.next_claim_number(2026)
        uow.commit()
    assert (first, second) == ("CLM-2026-000001", "CLM-2026-000002")


def test_a_rolled_back_number_is_given_again(db_url: str) -> None:
    with unit_of_work(db_url) as uow:
        assert uow.claims.next_claim_number(2026) == "CLM-2026-000001"
        # no commit: the report failed, the number was never shown to anyone
    assert _take(db_url, 2026) == "CLM-2026-000001"


def test_reserve_claim_serial_moves_the_counter_forward_only(db_url: str) -> None:
    with unit_of_work(db_url) as uow:
        uow.claims.reserve_claim_serial(2026, 41)
        uow.claims.reserve_claim_serial(2026, 7)
        uow.commit()
    assert _take(db_url, 2026) == "CLM-2026-000042"


def test_unique_across_threads(db_url: str) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: _take(db_url, 2026), range(200)))
    assert len(set(numbers)) == 200
    assert sorted(numbers) == [f"CLM-2026-{i:06d}" for i in range(1, 201)]
