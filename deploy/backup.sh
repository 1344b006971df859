#!/bin/sh
# deploy/backup.sh: the nightly database backup (portal-backup.timer), or by hand:
#   DATABASE_URL=postgres://... BACKUP_DIR=/var/backups/portal deploy/backup.sh
#
# pg_dump in PostgreSQL's custom format (compressed, restorable table by table: README,
# Backups, `make restore`), written under a temporary name and renamed when complete;
# dumps older than BACKUP_KEEP_DAYS are removed. Copy BACKUP_DIR off the machine (the
# organisation's backup system); a backup on the same disk is no backup.
#
# What is NOT in the dump:
# - the field keys (FIELD_ENCRYPTION_KEYS, FIELD_HASH_KEY): in /etc/portal/portal.env and
#   the key safe, never beside the dumps, or a stolen backup reads like the database;
# - the uploads: they live in the object store (S3_BUCKET). Back the bucket up with the
#   store's own tools at the same rhythm: versioning plus replication to a second store,
#   or e.g. `mc mirror --overwrite minio/portal-uploads /var/backups/portal-objects/`
#   for MinIO. Objects are only ever added (file_overwrite off) and deleted by erasure,
#   so a mirror without --remove keeps what erasure deleted: prune it as the privacy
#   inventory says (docs/privacy/).
set -eu

: "${DATABASE_URL:?DATABASE_URL is not set}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/portal}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-30}

umask 077
mkdir -p "$BACKUP_DIR"
target="$BACKUP_DIR/portal-$(date +%Y%m%d-%H%M%S).dump"
pg_dump --format=custom --no-owner --no-privileges --file="$target.part" "$DATABASE_URL"
mv "$target.part" "$target"
# A dump that pg_restore cannot list is not a backup: fail loudly (the timer shows it).
pg_restore --list "$target" >/dev/null
find "$BACKUP_DIR" -maxdepth 1 -name 'portal-*.dump' -mtime +"$BACKUP_KEEP_DAYS" -delete
echo "backup written: $target ($(du -h "$target" | cut -f1))"
