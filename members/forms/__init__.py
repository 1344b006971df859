"""The roster's forms, one module per subject, as members.views (shared holds the plain
one-button form the others build on)."""
