"""Writes to the roster, one module per subject: roster (a member's record), registration
(报到), committees (terms, posts, group leaders), memberships (functional branches, service
roles, honours); snapshots says what their audit records hold. Bulk import is written by
members.importing.writing, erasure by members.erasure.

Each function is one transaction and leaves audit records (accounts.audit) inside it, bulk
paths included. Keyword-only arguments.

Sensitive values (ID number, phone, address) are stored masked in audit snapshots: the
trail says that they changed and who changed them without copying them out. A member's
name is never written to the trail either: snapshots hold it masked and descriptions
name the member by masked name and pk (accounts.audit.person_repr), so that an erased
member is named nowhere.
"""
