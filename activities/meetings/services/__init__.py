"""Writes for organisational life, one module per job: planning (plan, change or cancel a
meeting), recording (a held meeting and its attendance), checkins (self check-in and its
visitors), makeups (补学 / 送学上门), attachments, cadence (cadence rules and excusals); errors
holds the refusals they share.

Each function is one transaction and leaves audit rows (accounts.audit) for every meeting,
attendance and make-up it creates or changes. Keyword-only arguments.
"""
