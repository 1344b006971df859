# Two commands matter: `make demo` (serve the portal with demo data on SQLite) and
# `make test` (the test suite; PostgreSQL/Redis/Chromium are used when present).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Django 6.1 needs Python >= 3.12: use $PYTHON, else python3.12/3.13 on PATH, else pyenv's.
PYTHON ?= $(shell for c in python3.12 python3.13 python3.14 \
	$$(ls -d $$(pyenv root 2>/dev/null)/versions/3.1[234]*/bin/python3 2>/dev/null); do \
	$$c -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { echo $$c; break; }; done)
DEPS_STAMP := $(VENV)/.deps-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
VENDOR_STAMP := static/vendor/.stamp-$(shell sha1sum package-lock.json | cut -c1-12)

.PHONY: demo test lint check messages translations vendor venv bench bench-dashboards bench-pages bench-nginx deploy-check clean api-schema

$(DEPS_STAMP):
	@if [ -z "$(PYTHON)" ]; then \
		echo "Python 3.12 or newer was not found. Install it (e.g. 'pyenv install 3.12'), or run 'make PYTHON=/path/to/python3.12 ...'." >&2; \
		exit 1; fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.deps-* && touch $@

venv: $(DEPS_STAMP)

# Front-end libraries come from the npm registry at the versions pinned in
# package-lock.json and are copied into static/vendor (not committed).
$(VENDOR_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install the front-end files (apt-get install npm)." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/bootstrap static/vendor/htmx
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   node_modules/bootstrap/LICENSE static/vendor/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE static/vendor/htmx/
	touch $@

vendor: $(VENDOR_STAMP)

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# Refresh the catalogs: each app keeps its own (APP/locale), the project one covers
# templates/ and retiree_party/. Then fill the new msgstr entries and `make messages`.
APPS := accounts branches members notices activities reports units rollout workbench api
translations: venv
	for app in $(APPS); do [ -d $$app/locale ] && (cd $$app && ../$(PY) ../manage.py makemessages -l zh_Hans -v 0); done; true
	$(PY) manage.py makemessages -l zh_Hans -v 0 --ignore=.venv --ignore=node_modules \
		--ignore=static --ignore=tests --ignore=bench --ignore=tools $(addprefix --ignore=,$(APPS))

# The API's OpenAPI schema, committed at docs/api/openapi.yaml and checked against the code
# by tests/api/test_schema.py. Regenerate after changing an endpoint (Chinese, validated).
api-schema: venv messages
	$(PY) manage.py spectacular --lang zh-hans --validate --fail-on-warn --file docs/api/openapi.yaml
	@echo "docs/api/openapi.yaml written: review the diff (a breaking change needs a new API version)"

demo: venv vendor messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo --size small --if-empty
	@echo "Serving on http://127.0.0.1:8000/ (Ctrl-C to stop)"
	$(PY) manage.py runserver 127.0.0.1:8000

test: venv vendor messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: venv messages
	$(PY) manage.py makemigrations --check --dry-run
	PORTAL_ENV=production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		FIELD_ENCRYPTION_KEYS=$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_') \
		FIELD_HASH_KEY=$$(head -c 32 /dev/urandom | base64) \
		ALLOWED_HOSTS=portal.example.cn TRUSTED_PROXIES=127.0.0.1 \
		$(PY) manage.py check --deploy --fail-level WARNING

bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

# The dashboards at district and city size, plus a bounded load run on 127.0.0.1 (wrk
# from Debian when installed). BENCH_ARGS="--sizes district --reuse" to go quicker.
bench-dashboards: venv
	$(PY) bench/dashboards.py $(BENCH_ARGS)

# The district's pages and a page mix under load (64 connections, 60 s) through gunicorn
# with retiree_party/gunicorn.conf.py, before (a git ref) and after in one run. Needs
# Debian's wrk (`apt-get install wrk`; without it a slower Python runner stands in) and
# the district database bench-dashboards seeds. BENCH_ARGS="--compare main --rounds 2".
bench-pages: venv
	@command -v wrk >/dev/null || echo "bench-pages: wrk is not installed (apt-get install wrk): using the Python runner"
	$(PY) bench/pages.py $(BENCH_ARGS)

# The page mix through nginx over HTTPS (the shipped deploy/nginx snippets, a self-signed
# certificate) to one gunicorn node, then two sharing the machine. Needs Debian's nginx
# (nginx-light), openssl and wrk, and the district database bench-dashboards seeds.
bench-nginx: venv
	$(PY) bench/pages.py --sets mix --nginx --nodes 1,2 $(BENCH_ARGS)

# Is this target ready to serve? check --deploy, the field keys against the stored data,
# the database, Redis and the file storage (deploy/README.md). Run it with the target's
# environment: `set -a; . /etc/portal/portal.env; set +a; make deploy-check`.
deploy-check: venv messages
	$(PY) manage.py deploy_check $(DEPLOY_CHECK_ARGS)

# Backups of the PostgreSQL database (custom format: compressed, restorable table by table).
#   make backup [DATABASE_URL=postgres://...] [BACKUP_FILE=backups/x.dump]
#   make restore BACKUP_FILE=backups/x.dump RESTORE_DATABASE_URL=postgres://.../scratch
# restore creates the target database when it does not exist yet (the role needs CREATEDB)
# and replaces the objects in it; it refuses to run without both variables. The encryption keys (FIELD_ENCRYPTION_KEYS, FIELD_HASH_KEY) are not in the
# dump: keep them apart from it, or the restored personal fields cannot be read.
BACKUP_DIR ?= backups
BACKUP_FILE ?= $(BACKUP_DIR)/portal-$(shell date +%Y%m%d-%H%M%S).dump

backup:
	@[ -n "$(DATABASE_URL)" ] || { echo "DATABASE_URL (postgres://...) is not set." >&2; exit 1; }
	@mkdir -p $(dir $(BACKUP_FILE))
	pg_dump --format=custom --no-owner --no-privileges --file="$(BACKUP_FILE)" "$(DATABASE_URL)"
	@echo "backup written to $(BACKUP_FILE)"

restore:
	@[ -n "$(RESTORE_DATABASE_URL)" ] || { echo "RESTORE_DATABASE_URL (the target database) is not set." >&2; exit 1; }
	@[ -f "$(BACKUP_FILE)" ] || { echo "BACKUP_FILE=$(BACKUP_FILE) does not exist." >&2; exit 1; }
	$(PY) tools/ensure_database.py "$(RESTORE_DATABASE_URL)"
	pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error \
		--dbname="$(RESTORE_DATABASE_URL)" "$(BACKUP_FILE)"
	@echo "restored $(BACKUP_FILE) into the target database"

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles db.sqlite3
