"""Policy clause texts (both languages, per product) and offline retrieval that answers clause
questions from the customer's own wording. See catalog (texts), search (BM25), answer (replies).
"""
from __future__ import annotations

from bot.clauses.answer import (
    CONFIDENT_SCORE,
    MIN_SCORE,
    ClauseAnswer,
    ClauseMatch,
    PolicyFacts,
    answer_clause_question,
    answer_for_policy,
    explain,
    find_clause,
    quote,
)
from bot.clauses.catalog import (
    Clause,
    Product,
    all_clauses,
    chinese_numeral,
    clause_by_id,
    clause_by_reference,
    clause_number_in,
    product_for,
    products,
)

__all__ = [
    "CONFIDENT_SCORE", "MIN_SCORE", "Clause", "ClauseAnswer", "ClauseMatch", "PolicyFacts",
    "Product", "all_clauses", "answer_clause_question", "answer_for_policy", "chinese_numeral",
    "clause_by_id", "clause_by_reference", "clause_number_in", "explain", "find_clause",
    "product_for", "products", "quote",
]
