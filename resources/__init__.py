"""Funds and places (经费与阵地): two apps, `resources.funds` (branch budgets, spending,
receipts) and `resources.places` (venue bookings), each with its own migrations."""
